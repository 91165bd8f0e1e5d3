/**
 * AnomalyMonitor: the detectors of one service, rolled together every
 * `stepMs`. A raise or a clear is written as one ECS log event and reflected
 * in `flotilla_anomaly_active{kind,key}` (1 while raised); `active()` lists
 * the current anomalies for the admin endpoint and the CLI.
 */
import type { Logger } from 'pino';
import type { Gauge } from 'prom-client';
import type { AnomalySettings } from '../config.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import { ANOMALY_KINDS, AnomalyDetector, type AnomalyKind, type AnomalyTransition, type DetectorSettings } from './detector.js';

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
  registry?: MetricsRegistry;
  logger?: Logger;
  /** Most keys tracked; beyond it new keys are ignored (a guard against unbounded keys). Default 1000. */
  maxKeys?: number;
}

/** What `record` returns for keys beyond `maxKeys`: records nothing. */
const IGNORED: Pick<AnomalyDetector, 'record'> = { record: () => undefined };

export class AnomalyMonitor {
  private readonly detectors = new Map<string, AnomalyDetector>();
  private readonly gauge: Gauge<'kind' | 'key'> | undefined;
  private readonly maxKeys: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: AnomalyMonitorOptions) {
    this.maxKeys = options.maxKeys ?? 1_000;
    this.gauge = options.registry?.gauge({
      name: 'flotilla_anomaly_active',
      help: '1 while an anomaly (latency p99 or error ratio far above its baseline) is raised for the key.',
      labelNames: ['kind', 'key'],
    });
  }

  static fromSettings(settings: AnomalySettings, registry?: MetricsRegistry, logger?: Logger): AnomalyMonitor {
    const { enabled: _enabled, ...detector } = settings;
    return new AnomalyMonitor({ settings: detector, ...(registry === undefined ? {} : { registry }), ...(logger === undefined ? {} : { logger }) });
  }

  /** The detector of `key` (created on first use), e.g. `http GET /users/:id`, `upstream users`. */
  detector(key: string): Pick<AnomalyDetector, 'record'> {
    let detector = this.detectors.get(key);
    if (detector === undefined) {
      if (this.detectors.size >= this.maxKeys) return IGNORED;
      detector = new AnomalyDetector(key, this.options.settings);
      this.detectors.set(key, detector);
      for (const kind of ANOMALY_KINDS) this.gauge?.set({ kind, key }, 0);
    }
    return detector;
  }

  /** Closes a step on every detector; logs and exports what changed. */
  roll(now = Date.now()): AnomalyTransition[] {
    const transitions: AnomalyTransition[] = [];
    for (const detector of this.detectors.values()) transitions.push(...detector.roll(now));
    for (const transition of transitions) this.report(transition);
    return transitions;
  }

  /** Rolls every `stepMs` on a timer that does not keep the process alive. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.roll(), this.options.settings.stepMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  active(): ActiveAnomaly[] {
    const found: ActiveAnomaly[] = [];
    for (const detector of this.detectors.values()) {
      for (const kind of ANOMALY_KINDS) {
        const state = detector.state(kind);
        if (!state.active) continue;
        found.push({ kind, key: detector.key, since: new Date(state.since as number).toISOString(), value: state.value, baseline: state.baseline, threshold: state.threshold });
      }
    }
    return found;
  }

  private report({ kind, key, change, state }: AnomalyTransition): void {
    this.gauge?.set({ kind, key }, change === 'raised' ? 1 : 0);
    const unit = kind === 'latency' ? 'ms p99' : 'error ratio';
    const fields = {
      event: { kind: 'alert', category: ['web'], type: [change === 'raised' ? 'start' : 'end'], action: `anomaly-${change}` },
      labels: { anomaly_kind: kind, anomaly_key: key },
      flotilla: { anomaly: { kind, key, value: round(state.value), baseline: round(state.baseline), threshold: round(state.threshold) } },
    };
    const message =
      change === 'raised'
        ? `anomaly raised: ${kind} of ${key} at ${round(state.value)} ${unit}, baseline ${round(state.baseline)}`
        : `anomaly cleared: ${kind} of ${key} back to ${round(state.value)} ${unit}`;
    if (change === 'raised') this.options.logger?.warn(fields, message);
    else this.options.logger?.info(fields, message);
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
