/**
 * The `anomaly` section is live. A real defineService service on the file
 * config centre: editing its config file retunes every detector without a
 * restart (the learnt baseline kept), a bad value is refused like any
 * rejected change, and turning detection off clears what is raised.
 *
 * Steps are driven by hand through the service's monitor (`roll(now)` with a
 * fake clock, samples through a detector handle as the gRPC client or the
 * gateway would hold one), so nothing depends on timing; `stepMs` is ten
 * minutes so the monitor's own timer never rolls during the test.
 */
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { serviceConfig } from '@flotilla/service';
import { captureLogs, eventually, parseExposition, sampleValue, tempDir } from '@flotilla/testing';
import { defineService } from '@flotilla/service';
import type { RunningService } from '@flotilla/service';
import { AnomalyMonitor, type AnomalyTransition, type DetectorSettings } from '@flotilla/telemetry';

const KEY = 'upstream billing';
const STEP_MS = 600_000;
/** Six steps per window; a baseline trusted after three judged windows; raise and clear at once. */
const TUNED = {
  windowMs: 6 * STEP_MS,
  stepMs: STEP_MS,
  baselineSize: 20,
  minBaseline: 3,
  minRequests: 20,
  madThreshold: 6,
  minLatencyShiftMs: 1_000,
  minErrorRateShift: 0.05,
  sustainMs: 0,
  recoverMs: 0,
};

type Anomaly = { kind: string; key: string; value: number };

describe('anomaly settings change live through the config centre', () => {
  const dir = tempDir('anomaly-reload');
  const file = join(dir.path, 'config', 'dev', 'anomlive.yaml');
  const logs = captureLogs();
  let running: RunningService<unknown, undefined>;
  let monitor: AnomalyMonitor;
  let detector: { record(ms: number, failed: boolean): void };
  let now = 1_700_000_000_000;

  /** Rewrites the service's config file (write + rename, as deploy tools do). */
  const writeAnomaly = (anomaly: object): void => {
    const temp = `${file}.tmp`;
    writeFileSync(temp, `anomaly: ${JSON.stringify(anomaly)}\n`);
    renameSync(temp, file);
  };
  /** Edits the file and waits until the running service applied (or refused) it. */
  const change = async (anomaly: object, outcome: 'reloads' | 'rejections'): Promise<void> => {
    const before = running.context.reload.status()[outcome];
    writeAnomaly(anomaly);
    await eventually(() => running.context.reload.status()[outcome] > before, {
      timeoutMs: 20_000,
      message: `the change ${outcome === 'reloads' ? 'applied' : 'refused'}`,
    });
  };
  /** One step of 40 requests around `ms` through the detector, then a roll of the whole monitor. */
  const step = (ms: number): AnomalyTransition[] => {
    for (let i = 0; i < 40; i++) detector.record(ms + (i % 5), false);
    now += STEP_MS;
    return monitor.roll(now);
  };
  const listed = async (): Promise<Anomaly[]> =>
    ((await (await fetch(`${running.httpUrl}/admin/anomalies`)).json()) as { anomalies: Anomaly[] }).anomalies;
  const gauge = async (): Promise<number> =>
    sampleValue(parseExposition(await (await fetch(`${running.httpUrl}/metrics`)).text()), 'flotilla_anomaly_active', {
      kind: 'latency',
      key: KEY,
    });

  before(async () => {
    mkdirSync(join(dir.path, 'config', 'dev'), { recursive: true });
    writeAnomaly(TUNED);
    const service = defineService({ name: 'anomlive', config: serviceConfig({}), http: () => undefined });
    running = (await service.start({
      configDir: join(dir.path, 'config'),
      namespace: 'dev',
      env: {
        FLOTILLA_HOME: join(dir.path, 'home'),
        FLOTILLA_ANOMLIVE__HTTP__HOST: '127.0.0.1',
        FLOTILLA_ANOMLIVE__HTTP__PORT: '0',
      },
      logDestination: logs.stream,
    })) as RunningService<unknown, undefined>;
    monitor = running.context.telemetry.anomalies;
    detector = monitor.detector(KEY);
  });
  after(async () => {
    await running?.stop();
    dir.remove();
  });

  test('a lower threshold acts at once on the baseline already learnt', async () => {
    for (let i = 0; i < 10; i++) assert.deepEqual(step(20), [], 'steady 20 ms: a baseline, nothing raised');
    assert.deepEqual(step(320), [], '+300 ms is below the 1000 ms minimum shift in force');

    await change({ ...TUNED, minLatencyShiftMs: 50 }, 'reloads');
    assert.equal(monitor.settings.minLatencyShiftMs, 50);
    assert.deepEqual(running.context.reload.status().pendingRestart, [], 'nothing waits for a restart');

    // No new warm-up: the next step is judged against the baseline learnt before the change.
    const raised = step(320);
    assert.deepEqual(
      raised.map((t) => `${t.kind} ${t.key} ${t.change}`),
      [`latency ${KEY} raised`],
    );
    assert.ok((raised[0]?.state.baseline ?? 0) < 30, `baseline kept at ~20 ms: ${raised[0]?.state.baseline}`);
    assert.deepEqual(
      (await listed()).map((a) => `${a.kind} ${a.key}`),
      [`latency ${KEY}`],
    );
    assert.equal(await gauge(), 1);
  });

  test('a bad anomaly value is refused: reported, nothing changes', async () => {
    const before = monitor.settings;
    const rejectedBefore = logs.withAction('config-rejected').length;

    // Passes the schema key by key, but the baseline could never be trusted.
    await change({ ...TUNED, minLatencyShiftMs: 50, minBaseline: 30 }, 'rejections');
    assert.match(
      running.context.reload.status().rejected?.reason ?? '',
      /anomaly\.minBaseline = 30: must not be above anomaly\.baselineSize \(20\)/,
    );
    // Fails the schema.
    await change({ ...TUNED, minLatencyShiftMs: 50, madThreshold: 0 }, 'rejections');
    assert.match(running.context.reload.status().rejected?.reason ?? '', /anomaly\.madThreshold/);

    assert.deepEqual(monitor.settings, before, 'the settings in force are unchanged');
    assert.equal(logs.withAction('config-rejected').length, rejectedBefore + 2, 'each refusal logged');
    assert.deepEqual(
      (await listed()).map((a) => a.key),
      [KEY],
      'the raised anomaly stays raised',
    );
  });

  test('turning detection off clears the active anomaly; on again, it learns afresh', async () => {
    await change({ ...TUNED, minLatencyShiftMs: 50, enabled: false }, 'reloads');
    assert.equal(monitor.enabled, false);
    assert.deepEqual(await listed(), []);
    assert.equal(await gauge(), 0, 'flotilla_anomaly_active back to 0');
    const cleared = logs.withAction('anomaly-cleared').at(-1);
    assert.equal((cleared?.event as { reason?: string } | undefined)?.reason, 'detection-disabled');
    assert.deepEqual(cleared?.labels, { anomaly_kind: 'latency', anomaly_key: KEY });
    assert.equal(logs.withAction('anomaly-detection-off').length, 1);
    assert.deepEqual(step(2_000), [], 'nothing is judged while off');

    await change({ ...TUNED, minLatencyShiftMs: 50 }, 'reloads');
    assert.equal(monitor.enabled, true);
    assert.equal(logs.withAction('anomaly-detection-on').length, 1);
    assert.equal(await gauge(), 0);
    // A fresh start: the window is empty again (its first step, slow as it is, is not judged) and no baseline is trusted yet…
    for (let i = 0; i < 8; i++) assert.deepEqual(step(i === 0 ? 320 : 20), []);
    // …and then detection works again.
    assert.deepEqual(
      step(320).map((t) => t.change),
      ['raised'],
    );
    assert.equal(await gauge(), 1);
  });
});

describe('AnomalyMonitor.configure', () => {
  const SETTINGS: DetectorSettings = {
    windowMs: 6_000,
    stepMs: 1_000,
    baselineSize: 20,
    minBaseline: 3,
    minRequests: 20,
    madThreshold: 6,
    minLatencyShiftMs: 50,
    minErrorRateShift: 0.05,
    sustainMs: 0,
    recoverMs: 0,
  };

  function raisedMonitor() {
    const monitor = new AnomalyMonitor({ settings: SETTINGS });
    const detector = monitor.detector('upstream users');
    let now = 0;
    const step = (ms: number) => {
      for (let i = 0; i < 40; i++) detector.record(ms + (i % 5), false);
      now += SETTINGS.stepMs;
      return monitor.roll(now);
    };
    for (let i = 0; i < 10; i++) step(20);
    assert.deepEqual(
      step(400).map((t) => t.change),
      ['raised'],
    );
    return { monitor, step, now: () => now };
  }

  test('a new window shape starts the baseline afresh and clears what was raised', () => {
    const { monitor, step, now } = raisedMonitor();
    const cleared = monitor.configure({ enabled: true, ...SETTINGS, windowMs: 4_000 }, now());
    assert.deepEqual(
      cleared.map((t) => `${t.change} ${t.reason}`),
      ['cleared baseline-reset'],
    );
    assert.deepEqual(monitor.active(), []);
    for (let i = 0; i < 6; i++) assert.deepEqual(step(400), [], 'relearning: nothing judged against the old baseline');
  });

  test('settings the checks refuse throw and change nothing', () => {
    const { monitor } = raisedMonitor();
    const before = monitor.settings;
    assert.throws(
      () => monitor.configure({ enabled: true, ...SETTINGS, stepMs: 10_000 }),
      /anomaly\.stepMs = 10000: must not be above anomaly\.windowMs/,
    );
    assert.throws(() => monitor.configure({ enabled: true, ...SETTINGS, windowMs: 600_000, stepMs: 1_000 }), /600 steps per window/);
    assert.deepEqual(monitor.settings, before);
    assert.equal(monitor.active().length, 1);
  });

  test('a smaller baseline keeps its most recent values and the raised anomaly', () => {
    const { monitor, step, now } = raisedMonitor();
    assert.deepEqual(monitor.configure({ enabled: true, ...SETTINGS, baselineSize: 5, sustainMs: 5_000 }, now()), []);
    assert.equal(monitor.active().length, 1, 'still raised');
    assert.deepEqual(step(400), [], 'still deviating');
    // Cleared once the slow steps have left the window, judged against the kept baseline.
    let cleared: AnomalyTransition[] = [];
    for (let i = 0; i < 8 && cleared.length === 0; i++) cleared = step(20);
    assert.deepEqual(
      cleared.map((t) => `${t.change} ${t.reason}`),
      ['cleared recovered'],
    );
  });
});
