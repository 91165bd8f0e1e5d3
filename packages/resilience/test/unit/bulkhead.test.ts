import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DeadlineExceededError, FlotillaError } from '@flotilla/kit';
import { MetricsRegistry } from '@flotilla/telemetry';
import { Bulkhead, Deadline } from '@flotilla/resilience';
import { parseExposition, sampleValue } from '@flotilla/testing';
import { deferred } from './support.ts';

/** Starts a call that holds its slot until `release` is resolved. */
function hold(bulkhead: Bulkhead, options: Parameters<Bulkhead['execute']>[1] = {}) {
  const release = deferred<string>();
  const started = deferred();
  const result = bulkhead.execute(async () => {
    started.resolve();
    return release.promise;
  }, options);
  return { release, started: started.promise, result };
}

const isOverloaded = (error: unknown): boolean => error instanceof FlotillaError && error.code === 'overloaded';

describe('Bulkhead', () => {
  test('runs up to maxConcurrent, queues up to maxQueue, rejects beyond with overloaded', async () => {
    const metrics = new MetricsRegistry();
    const bulkhead = new Bulkhead({ upstream: 'users', maxConcurrent: 2, maxQueue: 1, metrics });
    const a = hold(bulkhead);
    const b = hold(bulkhead);
    await Promise.all([a.started, b.started]);
    const c = hold(bulkhead);
    assert.deepEqual(bulkhead.status(), { maxConcurrent: 2, maxQueue: 1, inFlight: 2, queued: 1, rejections: 0 });
    await assert.rejects(
      bulkhead.execute(async () => 'd'),
      (error: unknown) => {
        assert.ok(isOverloaded(error));
        assert.equal((error as FlotillaError).details?.upstream, 'users');
        return true;
      },
    );
    let samples = parseExposition(await metrics.metrics());
    assert.equal(sampleValue(samples, 'flotilla_bulkhead_in_flight', { upstream: 'users' }), 2);
    assert.equal(sampleValue(samples, 'flotilla_bulkhead_queued', { upstream: 'users' }), 1);
    assert.equal(sampleValue(samples, 'flotilla_bulkhead_rejections_total', { upstream: 'users' }), 1);

    a.release.resolve('a');
    assert.equal(await a.result, 'a');
    await c.started; // the queued call took the freed slot
    b.release.resolve('b');
    c.release.resolve('c');
    assert.deepEqual(await Promise.all([b.result, c.result]), ['b', 'c']);
    assert.deepEqual(bulkhead.status(), { maxConcurrent: 2, maxQueue: 1, inFlight: 0, queued: 0, rejections: 1 });
    samples = parseExposition(await metrics.metrics());
    assert.equal(sampleValue(samples, 'flotilla_bulkhead_in_flight', { upstream: 'users' }), 0);
  });

  test('a queued call leaves the queue when its caller gives up', async () => {
    const bulkhead = new Bulkhead({ upstream: 'users', maxConcurrent: 1, maxQueue: 5 });
    const a = hold(bulkhead);
    await a.started;
    const controller = new AbortController();
    const waiting = bulkhead.execute(async () => 'never', { signal: controller.signal });
    assert.equal(bulkhead.status().queued, 1);
    controller.abort(new Error('client went away'));
    await assert.rejects(waiting, /client went away/);
    assert.equal(bulkhead.status().queued, 0);
    a.release.resolve('a');
    await a.result;
  });

  test('a queued call leaves the queue when its deadline passes', async () => {
    const bulkhead = new Bulkhead({ upstream: 'users', maxConcurrent: 1, maxQueue: 5 });
    const a = hold(bulkhead);
    await a.started;
    await assert.rejects(
      bulkhead.execute(async () => 'never', { deadline: Deadline.after(20) }),
      (error: unknown) => error instanceof DeadlineExceededError && /queued for users/.test(error.message),
    );
    assert.equal(bulkhead.status().queued, 0);
    a.release.resolve('a');
    await a.result;
  });

  test('maxQueue 0: fail as soon as every slot is taken', async () => {
    const bulkhead = new Bulkhead({ upstream: 'users', maxConcurrent: 1, maxQueue: 0 });
    const a = hold(bulkhead);
    await a.started;
    await assert.rejects(
      bulkhead.execute(async () => 'b'),
      isOverloaded,
    );
    a.release.resolve('a');
    await a.result;
  });

  test('raising the limit on reload admits queued calls at once', async () => {
    const bulkhead = new Bulkhead({ upstream: 'users', maxConcurrent: 1, maxQueue: 5 });
    const a = hold(bulkhead);
    await a.started;
    const b = hold(bulkhead);
    assert.equal(bulkhead.status().queued, 1);
    bulkhead.configure({ maxConcurrent: 2 });
    await b.started;
    assert.deepEqual([bulkhead.status().inFlight, bulkhead.status().queued], [2, 0]);
    a.release.resolve('a');
    b.release.resolve('b');
    await Promise.all([a.result, b.result]);
  });
});
