/**
 * The anomaly detector under simulated traffic and a fake clock: steady noisy
 * traffic raises nothing; a +300 ms shift is raised within the window after
 * a sustained deviation and cleared after recovery; an error burst raises an
 * `errors` anomaly. (The end-to-end version, with fault injection through the
 * gateway, belongs to the governance issue.)
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AnomalyDetector,
  AnomalyMonitor,
  median,
  medianAbsoluteDeviation,
  MetricsRegistry,
  type AnomalyTransition,
  type DetectorSettings,
} from '@flotilla/telemetry';
import { createLogger } from '@flotilla/telemetry';
import { captureLogs, parseExposition, sampleValue } from '@flotilla/testing';

const SETTINGS: DetectorSettings = {
  windowMs: 60_000,
  stepMs: 5_000,
  baselineSize: 120,
  minBaseline: 12,
  minRequests: 20,
  madThreshold: 6,
  minLatencyShiftMs: 50,
  minErrorRateShift: 0.05,
  sustainMs: 20_000,
  recoverMs: 30_000,
};

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Traffic {
  extraMs?: number;
  errorRatio?: number;
}

/** Drives a detector with 20 (or `perSecond`) requests/s of log-normal latency (median 20 ms), rare slow outliers and 1 % errors. */
function simulator(detector: Pick<AnomalyDetector, 'record'> & { roll(now: number): AnomalyTransition[] }, seed = 1, perSecond = 20) {
  const rand = random(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
  let now = 1_700_000_000_000;
  const transitions: AnomalyTransition[] = [];
  return {
    get now() {
      return now;
    },
    transitions,
    run(durationMs: number, traffic: Traffic = {}) {
      for (let elapsed = 0; elapsed < durationMs; elapsed += SETTINGS.stepMs) {
        for (let i = 0; i < (perSecond * SETTINGS.stepMs) / 1000; i++) {
          let latency = 20 * Math.exp(0.5 * gaussian());
          if (rand() < 0.004) latency += 150 + 250 * rand(); // a GC pause, a cold cache
          detector.record(latency + (traffic.extraMs ?? 0), rand() < (traffic.errorRatio ?? 0.01));
        }
        now += SETTINGS.stepMs;
        transitions.push(...detector.roll(now));
      }
    },
  };
}

describe('robust statistics', () => {
  test('median and MAD ignore a wild minority', () => {
    assert.equal(median([1, 2, 3, 4, 1000]), 3);
    assert.equal(median([1, 2, 3, 4]), 2.5);
    assert.equal(medianAbsoluteDeviation([1, 2, 3, 4, 1000]), 1);
  });
});

describe('AnomalyDetector', () => {
  test('steady noisy traffic for an hour raises nothing, at high and at low rates', () => {
    for (const [seed, perSecond] of [
      [1, 20],
      [2, 20],
      [3, 100],
      [4, 5],
      [5, 5],
    ] as const) {
      const detector = new AnomalyDetector('http GET /users/:id', SETTINGS);
      const sim = simulator(detector, seed, perSecond);
      sim.run(60 * 60_000);
      assert.deepEqual(sim.transitions, [], `seed ${seed} at ${perSecond}/s`);
      assert.equal(detector.state('latency').active, false);
      assert.ok(detector.state('latency').threshold > detector.state('latency').baseline, 'a baseline was learnt');
    }
  });

  test('+300 ms is raised within the window after a sustained deviation, and cleared after recovery', () => {
    const detector = new AnomalyDetector('upstream users', SETTINGS);
    const sim = simulator(detector);
    sim.run(10 * 60_000);
    assert.equal(sim.transitions.length, 0);

    const shiftedAt = sim.now;
    sim.run(3 * 60_000, { extraMs: 300 });
    assert.equal(sim.transitions.length, 1);
    const raised = sim.transitions[0] as AnomalyTransition;
    assert.equal(raised.kind, 'latency');
    assert.equal(raised.change, 'raised');
    assert.ok(raised.at - shiftedAt >= SETTINGS.sustainMs, 'not before the deviation has lasted sustainMs');
    assert.ok(raised.at - shiftedAt <= SETTINGS.windowMs, `raised ${raised.at - shiftedAt} ms after the shift`);
    assert.ok(raised.state.value > raised.state.baseline + 250, 'the p99 moved by about the injected delay');
    assert.equal(detector.state('errors').active, false, 'latency alone is not an error anomaly');

    const removedAt = sim.now;
    sim.run(3 * 60_000);
    assert.equal(sim.transitions.length, 2);
    const cleared = sim.transitions[1] as AnomalyTransition;
    assert.equal(cleared.change, 'cleared');
    assert.ok(cleared.at - removedAt >= SETTINGS.recoverMs, 'not before recovery has lasted recoverMs');
    assert.ok(
      cleared.at - removedAt <= SETTINGS.windowMs + SETTINGS.recoverMs + SETTINGS.stepMs,
      `cleared ${cleared.at - removedAt} ms after removal`,
    );
    assert.equal(detector.state('latency').active, false);
  });

  test('a handful of slow requests is noise, not an anomaly', () => {
    const detector = new AnomalyDetector('http GET /x', SETTINGS);
    const sim = simulator(detector);
    sim.run(10 * 60_000);
    for (let i = 0; i < 5; i++) detector.record(2_000, false); // < 1 % of a window
    sim.run(5 * 60_000);
    assert.deepEqual(sim.transitions, []);
  });

  test('an error burst raises an errors anomaly', () => {
    const detector = new AnomalyDetector('grpc flotilla.users.v1.UserService/GetUser', SETTINGS);
    const sim = simulator(detector);
    sim.run(10 * 60_000);
    sim.run(2 * 60_000, { errorRatio: 0.3 });
    assert.deepEqual(
      sim.transitions.map((t) => `${t.kind} ${t.change}`),
      ['errors raised'],
    );
  });

  test('too little traffic is not judged', () => {
    const detector = new AnomalyDetector('http GET /rare', SETTINGS);
    let now = 0;
    for (let step = 0; step < 200; step++) {
      detector.record(step > 100 ? 5_000 : 10, step > 100);
      now += SETTINGS.stepMs;
      assert.deepEqual(detector.roll(now), []);
    }
  });
});

describe('AnomalyMonitor', () => {
  test('a raise and a clear are logged, exported as flotilla_anomaly_active and listed', async () => {
    const logs = captureLogs();
    const registry = new MetricsRegistry();
    const monitor = new AnomalyMonitor({
      settings: { ...SETTINGS, sustainMs: 0, recoverMs: 0 },
      registry,
      logger: createLogger({ service: 'svc', destination: logs.stream }),
    });
    const detector = monitor.detector('upstream users');
    assert.equal(monitor.detector('upstream users'), detector, 'one detector per key');
    let now = 0;
    const step = (ms: number) => {
      for (let i = 0; i < 50; i++) detector.record(ms + (i % 5), false);
      now += SETTINGS.stepMs;
      return monitor.roll(now);
    };
    for (let i = 0; i < 30; i++) assert.deepEqual(step(20), []);
    assert.equal(
      sampleValue(parseExposition(await registry.metrics()), 'flotilla_anomaly_active', {
        kind: 'latency',
        key: 'upstream users',
      }),
      0,
    );

    assert.deepEqual(
      step(400).map((t) => t.change),
      ['raised'],
    );
    assert.equal(
      sampleValue(parseExposition(await registry.metrics()), 'flotilla_anomaly_active', {
        kind: 'latency',
        key: 'upstream users',
      }),
      1,
    );
    const [active] = monitor.active();
    assert.equal(active?.kind, 'latency');
    assert.equal(active?.key, 'upstream users');
    assert.ok((active?.value ?? 0) > 300);
    const raisedLine = logs.withAction('anomaly-raised')[0];
    assert.ok(raisedLine !== undefined, 'an anomaly-raised line');
    assert.equal(raisedLine['log.level'], 'warn');
    assert.deepEqual((raisedLine.event as { kind: string }).kind, 'alert');
    assert.deepEqual(raisedLine.labels, { anomaly_kind: 'latency', anomaly_key: 'upstream users' });

    let cleared: string[] = [];
    for (let i = 0; i < 20 && cleared.length === 0; i++) cleared = step(20).map((t) => t.change);
    assert.deepEqual(cleared, ['cleared']);
    assert.deepEqual(monitor.active(), []);
    assert.equal(
      sampleValue(parseExposition(await registry.metrics()), 'flotilla_anomaly_active', {
        kind: 'latency',
        key: 'upstream users',
      }),
      0,
    );
    assert.ok(logs.withAction('anomaly-cleared').length > 0);
  });

  test('keys beyond maxKeys are ignored rather than growing without bound', () => {
    const monitor = new AnomalyMonitor({ settings: SETTINGS, maxKeys: 2 });
    monitor.detector('a');
    monitor.detector('b');
    monitor.detector('c').record(10, false);
    monitor.roll(1);
    assert.deepEqual(monitor.active(), []);
  });
});
