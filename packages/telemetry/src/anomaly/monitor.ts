/**
 * AnomalyMonitor: the detectors of one service, rolled together every
 * `stepMs`. A raise or a clear is written as one ECS log event and reflected
 * in `flotilla_anomaly_active{kind,key}` (1 while raised); `active()` lists
 * the current anomalies for the admin endpoint and the CLI.
 *
 * It exists even while detection is off, so the handles that callers cache
 * (`detector(key)`) stay valid when `configure` turns it on or off or retunes
 * it at run time (the config centre's `anomaly` section, see follow-config.ts).
 */
import type { Logger } from 'pino';
import type { Gauge } from 'prom-client';
import { ConfigError } from '@flotilla/config';
import type { AnomalySettings } from '../config.ts';
import type { MetricsRegistry } from '../metrics/registry.ts';
import { ANOMALY_KINDS, AnomalyDetector, type AnomalyKind, type AnomalyTransition, type DetectorSettings } from './detector.ts';
import { anomalySettingsProblems } from './settings-problems.ts';

export interface ActiveAnomaly {
  kind: AnomalyKind;
  key: string;
  /** When it was raised (ISO 8601). */
  since: string;
  /** Current window value: p99 in ms, or the error ratio. */
  value: number;
  baseline: number;
  threshold: number;
}

export interface AnomalyMonitorOptions {
  settings: DetectorSettings;
  /** False: detectors are made (and cached by callers) but record and raise nothing until `configure` turns detection on. Default true. */
  enabled?: boolean;
  registry?: MetricsRegistry;
  logger?: Logger;
  /** Most keys tracked; beyond it new keys are ignored (a guard against unbounded keys). Default 1000. */
  maxKeys?: number;
}

/** What `record` returns for keys beyond `maxKeys`: records nothing. */
const IGNORED: Pick<AnomalyDetector, 'record'> = { record: () => undefined };

const CLEAR_REASON_TEXT = {
  recovered: '',
  'detection-disabled': ' (anomaly detection turned off)',
  'baseline-reset': ' (window changed; learning a new baseline)',
} as const;

export class AnomalyMonitor {
  private readonly options: AnomalyMonitorOptions;
  private readonly detectors = new Map<string, AnomalyDetector>();
  private readonly gauge: Gauge<'kind' | 'key'> | undefined;
  private readonly maxKeys: number;
  private current: DetectorSettings;
  private on: boolean;
  /** `start()` was called (and not `stop()`): roll on a timer whenever detection is on. */
  private rolling = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: AnomalyMonitorOptions) {
    this.options = options;
    this.maxKeys = options.maxKeys ?? 1_000;
    this.current = options.settings;
    this.on = options.enabled ?? true;
    this.gauge = options.registry?.gauge({
      name: 'flotilla_anomaly_active',
      help: '1 while an anomaly (latency p99 or error ratio far above its baseline) is raised for the key.',
      labelNames: ['kind', 'key'],
    });
  }

  static fromSettings(settings: AnomalySettings, registry?: MetricsRegistry, logger?: Logger): AnomalyMonitor {
    const { enabled, ...detector } = settings;
    return new AnomalyMonitor({
      settings: detector,
      enabled,
      ...(registry === undefined ? {} : { registry }),
      ...(logger === undefined ? {} : { logger }),
    });
  }

  /** The settings in force (the latest `configure`). */
  get settings(): AnomalySettings {
    return { enabled: this.on, ...this.current };
  }

  get enabled(): boolean {
    return this.on;
  }

  /** The detector of `key` (created on first use), e.g. `http GET /users/:id`, `upstream users`. */
  detector(key: string): Pick<AnomalyDetector, 'record'> {
    let detector = this.detectors.get(key);
    if (detector === undefined) {
      if (this.detectors.size >= this.maxKeys) return IGNORED;
      detector = new AnomalyDetector(key, this.current);
      if (this.on) this.zeroGauge(key);
      else detector.suspend(0);
      this.detectors.set(key, detector);
    }
    return detector;
  }

  /**
   * Applies new settings to every detector, now (see AnomalyDetector.retune
   * for what keeps its baseline). Turning detection off clears what is
   * raised (logged, gauge back to 0), stops the timer and makes `record`
   * free; turning it on starts every detector afresh. Throws a ConfigError,
   * changing nothing, for settings anomalySettingsProblems refuses.
   */
  configure(settings: AnomalySettings, now = Date.now()): AnomalyTransition[] {
    const problems = anomalySettingsProblems(settings);
    if (problems.length > 0) throw new ConfigError('the anomaly monitor', 'AnomalyMonitor.configure', problems);
    const { enabled, ...next } = settings;
    const previous = this.current;
    const wasOn = this.on;
    this.current = next;
    this.on = enabled;
    const transitions: AnomalyTransition[] = [];
    for (const detector of this.detectors.values()) {
      if (wasOn && !enabled) transitions.push(...detector.suspend(now));
      transitions.push(...detector.retune(next, now));
      if (!wasOn && enabled) detector.resume();
    }
    for (const transition of transitions) this.report(transition);
    if (!wasOn && enabled) for (const key of this.detectors.keys()) this.zeroGauge(key);
    if (wasOn !== enabled) {
      this.options.logger?.info(
        {
          event: { action: enabled ? 'anomaly-detection-on' : 'anomaly-detection-off' },
          labels: { anomaly_detectors: this.detectors.size },
        },
        enabled
          ? 'anomaly detection turned on: baselines are learnt afresh'
          : `anomaly detection turned off${transitions.length === 0 ? '' : `; ${transitions.length} anomaly(ies) cleared`}`,
      );
    }
    if (this.rolling && (wasOn !== enabled || previous.stepMs !== next.stepMs)) this.schedule();
    return transitions;
  }

  /** Closes a step on every detector; logs and exports what changed. Nothing while detection is off. */
  roll(now = Date.now()): AnomalyTransition[] {
    if (!this.on) return [];
    const transitions: AnomalyTransition[] = [];
    for (const detector of this.detectors.values()) transitions.push(...detector.roll(now));
    for (const transition of transitions) this.report(transition);
    return transitions;
  }

  /** Rolls every `stepMs` (while detection is on) on a timer that does not keep the process alive. */
  start(): void {
    if (this.rolling) return;
    this.rolling = true;
    this.schedule();
  }

  stop(): void {
    this.rolling = false;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  active(): ActiveAnomaly[] {
    const found: ActiveAnomaly[] = [];
    for (const detector of this.detectors.values()) {
      for (const kind of ANOMALY_KINDS) {
        const state = detector.state(kind);
        if (!state.active) continue;
        found.push({
          kind,
          key: detector.key,
          since: new Date(state.since as number).toISOString(),
          value: state.value,
          baseline: state.baseline,
          threshold: state.threshold,
        });
      }
    }
    return found;
  }

  /** (Re)starts the timer at the current step, or stops it while detection is off. */
  private schedule(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (!this.on) return;
    this.timer = setInterval(() => this.roll(), this.current.stepMs);
    this.timer.unref();
  }

  private zeroGauge(key: string): void {
    for (const kind of ANOMALY_KINDS) this.gauge?.set({ kind, key }, 0);
  }

  private report({ kind, key, change, state, reason }: AnomalyTransition): void {
    this.gauge?.set({ kind, key }, change === 'raised' ? 1 : 0);
    const unit = kind === 'latency' ? 'ms p99' : 'error ratio';
    const fields = {
      event: {
        kind: 'alert',
        category: ['web'],
        type: [change === 'raised' ? 'start' : 'end'],
        action: `anomaly-${change}`,
        ...(reason === undefined ? {} : { reason }),
      },
      labels: { anomaly_kind: kind, anomaly_key: key },
      flotilla: {
        anomaly: {
          kind,
          key,
          value: round(state.value),
          baseline: round(state.baseline),
          threshold: round(state.threshold),
        },
      },
    };
    const message =
      change === 'raised'
        ? `anomaly raised: ${kind} of ${key} at ${round(state.value)} ${unit}, baseline ${round(state.baseline)}`
        : `anomaly cleared: ${kind} of ${key} ${reason === undefined || reason === 'recovered' ? `back to ${round(state.value)} ${unit}` : `at ${round(state.value)} ${unit}`}${CLEAR_REASON_TEXT[reason ?? 'recovered']}`;
    if (change === 'raised') this.options.logger?.warn(fields, message);
    else this.options.logger?.info(fields, message);
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
