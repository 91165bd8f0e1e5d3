import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FlotillaError, NotFoundError, UnavailableError } from '@flotilla/kit';
import { MetricsRegistry } from '@flotilla/telemetry';
import { AdaptiveBreaker, type BreakerStateChange } from '@flotilla/resilience';
import { parseExposition, sampleValue } from '@flotilla/testing';
import { FakeClock } from './support.ts';

const ok = async (): Promise<string> => 'ok';
const down = async (): Promise<never> => {
  throw new UnavailableError('down');
};

/** Runs `n` calls of `fn`, swallowing errors; returns how many the breaker rejected. */
async function run(breaker: AdaptiveBreaker, n: number, fn: () => Promise<unknown>): Promise<number> {
  let rejected = 0;
  for (let i = 0; i < n; i++) {
    try {
      await breaker.execute(fn);
    } catch (error) {
      if (error instanceof FlotillaError && error.code === 'circuit-open') rejected++;
    }
  }
  return rejected;
}

describe('AdaptiveBreaker (SRE adaptive throttling)', () => {
  test('rejects with p = (requests − K·accepts) / (requests + 1) once the volume is reached', async () => {
    const clock = new FakeClock();
    let draw = 0.99; // never below p until we say so
    const breaker = new AdaptiveBreaker({ upstream: 'users', k: 2, minRequests: 10, clock, random: () => draw });
    await run(breaker, 9, down);
    assert.equal(breaker.status().probability, 0, 'below the minimum volume nothing is rejected');
    await run(breaker, 1, down);
    // 10 requests, 0 accepts: p = 10 / 11.
    assert.equal(breaker.status().probability, 10 / 11);
    assert.equal(breaker.state, 'open');
    draw = 0.5;
    await assert.rejects(breaker.execute(ok), (error: unknown) => {
      assert.ok(error instanceof FlotillaError);
      assert.equal(error.code, 'circuit-open');
      assert.equal(error.details?.upstream, 'users');
      assert.match(String(error.details?.reason), /error ratio 1\.00 over 10 s, 10 requests/);
      return true;
    });
    // The rejection itself counts as a request: 11 requests, p = 11/12.
    assert.equal(breaker.status().rejections, 1);
    assert.equal(breaker.status().probability, 11 / 12);
  });

  test('K sets the tolerance: with K = 2 half the calls may fail, with K = 1.5 a third', async () => {
    const clock = new FakeClock();
    const lenient = new AdaptiveBreaker({ upstream: 'a', k: 2, minRequests: 1, clock, random: () => 0.99 });
    const strict = new AdaptiveBreaker({ upstream: 'b', k: 1.5, minRequests: 1, clock, random: () => 0.99 });
    for (const breaker of [lenient, strict]) {
      await run(breaker, 50, ok);
      await run(breaker, 40, down); // 90 requests, 50 accepts: 44 % failing
    }
    assert.equal(lenient.state, 'closed', '90 − 2·50 < 0');
    assert.equal(strict.state, 'throttling');
    assert.equal(strict.status().probability, (90 - 1.5 * 50) / 91);
  });

  test('answers that are not upstream failures (404, validation) count as accepted', async () => {
    const breaker = new AdaptiveBreaker({ upstream: 'users', minRequests: 5, clock: new FakeClock(), random: () => 0 });
    await run(breaker, 20, async () => {
      throw new NotFoundError('no such user');
    });
    assert.equal(breaker.state, 'closed');
    assert.equal(breaker.status().accepts, 20);
  });

  test('a call its caller cancelled is not recorded', async () => {
    const breaker = new AdaptiveBreaker({ upstream: 'users', minRequests: 1, clock: new FakeClock() });
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(breaker.execute(down, { signal: controller.signal }));
    assert.equal(breaker.status().requests, 0);
  });

  test('emits state changes with a reason, and closes again as the window slides past the failures', async () => {
    const clock = new FakeClock();
    const changes: BreakerStateChange[] = [];
    const breaker = new AdaptiveBreaker({
      upstream: 'orders',
      minRequests: 10,
      windowMs: 10_000,
      clock,
      random: () => 0.999,
    });
    breaker.onStateChange((change) => changes.push(change));
    await run(breaker, 30, down);
    assert.deepEqual(
      changes.map((c) => `${c.from}->${c.to}`),
      ['closed->open'],
    );
    assert.match(
      changes[0]?.reason ?? '',
      /^error ratio 1\.00 over 10 s, 10 requests \(10 failed upstream, 0 rejected here\); rejecting 91 % \(K=2\)$/,
    );
    clock.advance(11_000);
    assert.equal(breaker.state, 'closed');
    assert.match(changes[1]?.reason ?? '', /fewer than the 10 needed/);
    // Recovery under traffic: successes pull p down until it reads closed.
    await run(breaker, 10, down);
    assert.equal(breaker.state, 'open');
    await run(breaker, 10, ok);
    assert.equal(breaker.state, 'closed', '20 requests ≤ 2 × 10 accepts');
    assert.deepEqual(
      changes.map((c) => c.to),
      ['open', 'closed', 'open', 'throttling', 'closed'],
      'recovering, it throttles less and less',
    );
  });

  test('a rejected call can be answered by a fallback (partial results)', async () => {
    const breaker = new AdaptiveBreaker({ upstream: 'users', minRequests: 1, clock: new FakeClock(), random: () => 0 });
    await run(breaker, 5, down);
    const answer = await breaker.execute(async () => ['full'], { fallback: (error) => [`partial: ${error.code}`] });
    assert.deepEqual(answer, ['partial: circuit-open']);
  });

  test('exports its state, probability and rejections as metrics', async () => {
    const clock = new FakeClock();
    const metrics = new MetricsRegistry();
    const breaker = new AdaptiveBreaker({
      upstream: 'users',
      minRequests: 5,
      k: 2,
      openAt: 0.9,
      clock,
      random: () => 0,
      metrics,
    });
    let samples = parseExposition(await metrics.metrics());
    assert.equal(sampleValue(samples, 'flotilla_breaker_state', { upstream: 'users' }), 0);
    await run(breaker, 30, down);
    samples = parseExposition(await metrics.metrics());
    assert.equal(sampleValue(samples, 'flotilla_breaker_state', { upstream: 'users' }), 2);
    assert.ok(sampleValue(samples, 'flotilla_breaker_rejections_total', { upstream: 'users' }) > 0);
    // No traffic for a whole window: the scrape itself notices the breaker closed.
    clock.advance(20_000);
    samples = parseExposition(await metrics.metrics());
    assert.equal(sampleValue(samples, 'flotilla_breaker_state', { upstream: 'users' }), 0);
    assert.equal(sampleValue(samples, 'flotilla_breaker_reject_probability', { upstream: 'users' }), 0);
  });

  test('throttling is the state between closed and openAt', async () => {
    const breaker = new AdaptiveBreaker({
      upstream: 'users',
      minRequests: 1,
      k: 2,
      openAt: 0.9,
      clock: new FakeClock(),
      random: () => 0.999,
    });
    await run(breaker, 10, ok);
    await run(breaker, 30, down); // 40 requests, 10 accepts: p = 20/41
    assert.equal(breaker.state, 'throttling');
    assert.match(breaker.status().reason, /rejecting 49 %/);
  });

  test('configure keeps the window unless its size changes', async () => {
    const breaker = new AdaptiveBreaker({
      upstream: 'users',
      minRequests: 100,
      clock: new FakeClock(),
      random: () => 0.999,
    });
    await run(breaker, 20, down);
    breaker.configure({ minRequests: 10 });
    assert.equal(breaker.state, 'open');
    breaker.configure({ windowMs: 5_000 });
    assert.equal(breaker.status().requests, 0);
    assert.equal(breaker.state, 'closed');
  });
});
