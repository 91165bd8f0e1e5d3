/**
 * Load shedding decisions: thresholds and priorities (with a delay signal the
 * test sets), in-flight counting, exempt paths, metrics and one log line per
 * episode. (The kit's HTTP server shedding over real sockets:
 * integration/http/load-shedding.test.ts.)
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import Value from 'typebox/value';
import { captureLogs, eventually } from '@flotilla/testing';
import { createLogger } from '@flotilla/telemetry';
import { MetricsRegistry } from '@flotilla/telemetry';
import { isNeverShed, LoadShedder, parsePriority, SheddingConfig, type SheddingSettings } from '../../../src/shedding/index.ts';

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
    const started = logs.withAction('load-shedding-started');
    assert.equal(started.length, 1);
    assert.match(String(started[0]?.message), /event-loop delay 500 ms/);
    setDelay(0);
    await eventually(() => logs.withAction('load-shedding-stopped').length > 0, { message: 'the stop line' });
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
