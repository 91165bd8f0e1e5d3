/**
 * Load shedding decisions: thresholds and priorities (with a delay signal the
 * test sets), in-flight counting, exempt paths, metrics and one log line per
 * episode; then the kit's HTTP server over real sockets with an in-flight limit.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import Value from 'typebox/value';
import { loadShedderOf } from '../../src/http/load-shedding.ts';
import { createHttpServer } from '../../src/http/server.ts';
import { registerHealthRoutes } from '../../src/http/health.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { MetricsRegistry } from '../../src/observability/metrics/registry.ts';
import { isNeverShed, LoadShedder, parsePriority, SheddingConfig, type SheddingSettings } from '../../src/resilience/shedding/index.ts';
import { waitUntil } from '../discovery/support.ts';
import { captureLogs } from '../support/log-capture.ts';

function settings(overrides: Partial<SheddingSettings> = {}): SheddingSettings {
  return { ...(Value.Default(SheddingConfig, {}) as SheddingSettings), ...overrides };
}

function shedderWithDelay(overrides: Partial<SheddingSettings> = {}) {
  let delay = 0;
  const logs = captureLogs();
  const metrics = new MetricsRegistry();
  const shedder = new LoadShedder({
    settings: settings(overrides),
    metrics,
    logger: createLogger({ service: 'test', destination: logs.stream }),
    delaySignal: { delayMs: () => delay },
  });
  return { shedder, logs, metrics, setDelay: (ms: number) => (delay = ms) };
}

describe('LoadShedder decisions', () => {
  test('event-loop delay: low work is shed past the threshold, high past twice it, critical never', (t) => {
    const { shedder, setDelay } = shedderWithDelay({ maxEventLoopDelayMs: 100 });
    t.after(() => shedder.stop());
    setDelay(100);
    assert.equal(shedder.shouldShed('/orders'), undefined, 'at the threshold: admitted');
    setDelay(150);
    assert.deepEqual(shedder.shouldShed('/orders'), { reason: 'event-loop-delay', level: 1, retryAfterSeconds: 1 });
    assert.equal(shedder.shouldShed('/orders', 'high'), undefined);
    assert.equal(shedder.shouldShed('/orders', 'critical'), undefined);
    setDelay(250);
    assert.equal(shedder.shouldShed('/orders', 'high')?.level, 2);
    assert.equal(shedder.shouldShed('/orders', 'critical'), undefined);
    setDelay(10);
    assert.equal(shedder.shouldShed('/orders'), undefined, 'calm again: admitted');
  });

  test('in flight: the request that would exceed maxInFlight is shed until one finishes', (t) => {
    const { shedder } = shedderWithDelay({ maxInFlight: 2 });
    t.after(() => shedder.stop());
    const first = shedder.begin();
    shedder.begin();
    assert.equal(shedder.inFlight, 2);
    assert.equal(shedder.shouldShed('/orders')?.reason, 'in-flight');
    assert.equal(shedder.shouldShed('/orders', 'high'), undefined, 'high waits for twice the limit');
    first();
    first(); // releasing twice counts once
    assert.equal(shedder.inFlight, 1);
    assert.equal(shedder.shouldShed('/orders'), undefined);
  });

  test('a tracked response is in flight until it closes, counted once however often it is tracked or closes', (t) => {
    const { shedder } = shedderWithDelay({ maxInFlight: 1 });
    t.after(() => shedder.stop());
    const response = new EventEmitter();
    const other = new EventEmitter();
    shedder.track(response);
    shedder.track(response);
    assert.equal(shedder.inFlight, 1);
    assert.equal(shedder.shouldShed('/orders')?.reason, 'in-flight');
    shedder.track(other);
    assert.equal(shedder.inFlight, 2);
    response.emit('close');
    response.emit('close');
    assert.equal(shedder.inFlight, 1);
    other.emit('close');
    assert.equal(shedder.inFlight, 0);
    assert.equal(shedder.shouldShed('/orders'), undefined);
  });

  test('health, readiness, metrics and admin paths are never shed; disabled sheds nothing', (t) => {
    const { shedder, setDelay } = shedderWithDelay({ maxEventLoopDelayMs: 10 });
    t.after(() => shedder.stop());
    setDelay(1_000);
    for (const path of ['/healthz', '/readyz', '/metrics?name=x', '/admin', '/admin/limits'])
      assert.equal(shedder.shouldShed(path), undefined, path);
    assert.notEqual(shedder.shouldShed('/administrators'), undefined, 'a prefix match needs a path boundary');
    shedder.update(settings({ maxEventLoopDelayMs: 10, enabled: false }));
    assert.equal(shedder.shouldShed('/orders'), undefined);
    assert.equal(isNeverShed('/ops/x', ['/ops/']), true);
  });

  test('one log line when shedding starts and one when it stops; counter by reason; active gauge', async (t) => {
    const { shedder, setDelay, logs, metrics } = shedderWithDelay({ maxEventLoopDelayMs: 100, windowMs: 100 });
    t.after(() => shedder.stop());
    setDelay(500);
    for (let i = 0; i < 25; i++) assert.ok(shedder.shouldShed('/orders'));
    const text = await metrics.metrics();
    assert.match(text, /flotilla_shed_requests_total\{reason="event-loop-delay"\} 25/);
    assert.match(text, /flotilla_shed_active 1/);
    assert.match(text, /flotilla_shed_event_loop_delay_seconds 0\.5/);
    const started = logs.lines.filter((l) => (l.event as { action?: string } | undefined)?.action === 'load-shedding-started');
    assert.equal(started.length, 1);
    assert.match(String(started[0]?.message), /event-loop delay 500 ms/);
    setDelay(0);
    await waitUntil(
      () => logs.lines.some((l) => (l.event as { action?: string } | undefined)?.action === 'load-shedding-stopped'),
      'the stop line',
    );
    assert.match(await metrics.metrics(), /flotilla_shed_active 0/);
    assert.equal(shedder.status().shedding, false);
    assert.equal(shedder.status().shedTotal, 25);
  });

  test('priority header values', () => {
    assert.equal(parsePriority('critical'), 'critical');
    assert.equal(parsePriority(' HIGH '), 'high');
    assert.equal(parsePriority('low'), 'low');
    assert.equal(parsePriority('urgent!!'), 'low', 'unknown means the default');
    assert.equal(parsePriority(undefined), 'low');
    assert.equal(parsePriority(['high', 'critical']), 'high');
  });
});

describe('the kit HTTP server sheds over real sockets', () => {
  test('past maxInFlight: 503 problem with Retry-After; health, opted-out routes and high priority still served; live settings', async (t) => {
    const logs = captureLogs();
    let listener: ((value: unknown) => void) | undefined;
    const app = createHttpServer({
      logger: createLogger({ service: 'test', destination: logs.stream }),
      shedding: {
        settings: settings({ maxInFlight: 1, retryAfterSeconds: 3 }),
        subscribe: (l) => {
          listener = l;
          return () => {
            listener = undefined;
          };
        },
      },
    });
    registerHealthRoutes(app as never, { isReady: () => true, checks: () => ({}) });
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    app.get('/hold', async () => {
      await held;
      return { held: true };
    });
    app.get('/work', async () => ({ ok: true }));
    app.get('/always', { config: { shed: false } }, async () => ({ ok: true }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    t.after(() => app.close());
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const shedder = loadShedderOf(app);
    assert.ok(shedder, 'the server exposes its shedder for raw request paths');

    const holding = fetch(`${base}/hold`);
    await waitUntil(() => shedder.inFlight === 1, 'the held request in flight');

    const refused = await fetch(`${base}/work`);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '3');
    assert.match(refused.headers.get('content-type') ?? '', /application\/problem\+json/);
    const problem = (await refused.json()) as Record<string, unknown>;
    assert.equal(problem.type, 'https://flotilla.dev/problems/overloaded');
    assert.equal(problem.reason, 'in-flight');
    assert.equal(problem.retryAfter, 3);
    assert.ok(typeof problem.requestId === 'string');

    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/always`)).status, 200);
    assert.equal((await fetch(`${base}/work`, { headers: { 'x-flotilla-priority': 'high' } })).status, 200);

    assert.ok(listener, 'the server subscribed to live settings');
    listener(settings({ maxInFlight: 0 }));
    assert.equal((await fetch(`${base}/work`)).status, 200, 'no in-flight limit any more');
    listener(settings({ maxInFlight: 1 }));
    assert.equal((await fetch(`${base}/work`)).status, 503);

    release();
    assert.equal((await holding).status, 200);
    await waitUntil(() => shedder.inFlight === 0, 'the held request to finish');
    assert.equal((await fetch(`${base}/work`)).status, 200);
  });
});
