/**
 * AnomalyDetector: one per key (a route, an RPC method, an upstream). It
 * keeps the last `windowMs` of traffic as `windowMs / stepMs` buckets; at each
 * step (`roll(now)`) it computes the window's p99 latency and error ratio and
 * compares each with a baseline: the median and MAD of its own past window
 * values. The threshold is
 *     median + max(madThreshold · 1.4826 · MAD, minimum shift)
 * (the floor keeps a very steady signal from alarming on a tiny change), and
 * a window deviates when it is above the threshold beyond sampling noise (a
 * binomial test, see p99Above / ratioAbove), so small windows where a few
 * slow requests happen to cluster do not pass for a shift. A deviation lasting `sustainMs` raises an anomaly; its absence for
 * `recoverMs` clears it. Values enter the baseline only while their signal is
 * normal, so an ongoing anomaly is never learned as the new normal.
 * Pure: no clock, no timers — the caller passes `now`.
 *
 * Settings change live (`retune`): thresholds, sustain and recovery times,
 * minimum counts and the baseline size apply from the next step and keep the
 * learnt baseline; a new window shape (`windowMs`, `stepMs`) makes the old
 * window values incomparable, so the detector starts learning afresh (see
 * `reset`).
 */
import type { AnomalySettings } from '../config.ts';
import { bucketOf, countAbove, quantileOf, SKETCH_BUCKETS } from './latency-sketch.ts';
import { MAD_TO_SIGMA, median, medianAbsoluteDeviation } from './robust.ts';

/** One-sided confidence (in standard errors) that a window really is above its threshold. */
const CONFIDENCE_Z = 3;

/**
 * Is the window's p99 above `threshold`, beyond sampling noise? p99 > T exactly
 * when more than 1 % of requests are slower than T; with N requests the share
 * above T must beat 1 % by z standard errors of a binomial proportion. A few
 * slow requests clustering in a small window then cannot pass for a shift.
 */
export function p99Above(counts: Uint32Array, total: number, threshold: number): boolean {
  const share = countAbove(counts, threshold) / total;
  return share > 0.01 + CONFIDENCE_Z * Math.sqrt((0.01 * 0.99) / total);
}

/** Is the error ratio above `threshold`, beyond binomial noise at that ratio? */
export function ratioAbove(errors: number, total: number, threshold: number): boolean {
  const p = Math.min(Math.max(threshold, 0.001), 0.999);
  return errors / total > threshold + CONFIDENCE_Z * Math.sqrt((p * (1 - p)) / total);
}

export type AnomalyKind = 'latency' | 'errors';
export const ANOMALY_KINDS: readonly AnomalyKind[] = ['latency', 'errors'];

export type DetectorSettings = Omit<AnomalySettings, 'enabled'>;

type Phase = 'normal' | 'pending' | 'active' | 'recovering';

export interface SignalState {
  kind: AnomalyKind;
  phase: Phase;
  /** True while raised (phases active and recovering). */
  active: boolean;
  /** When the current phase began (epoch ms). */
  since: number | undefined;
  /** Latest window value: p99 in ms, or the error ratio 0..1. NaN before any judged window. */
  value: number;
  baseline: number;
  /** The value above which the signal deviates; NaN until the baseline is trusted. */
  threshold: number;
}

/**
 * Why an anomaly was cleared: the signal recovered, detection was turned off,
 * or the window shape changed and the baseline is being learnt again.
 */
export type ClearReason = 'recovered' | 'detection-disabled' | 'baseline-reset';

export interface AnomalyTransition {
  kind: AnomalyKind;
  key: string;
  change: 'raised' | 'cleared';
  at: number;
  state: SignalState;
  /** Set on clears only. */
  reason?: ClearReason;
}

export interface WindowStats {
  requests: number;
  errors: number;
  p99Ms: number;
}

class Signal {
  readonly kind: AnomalyKind;
  public settings: DetectorSettings;
  history: number[] = [];
  phase: Phase = 'normal';
  /** Start of the phase; for active/recovering, the raise time. */
  since: number | undefined;
  recoveringSince: number | undefined;
  value = Number.NaN;
  baseline = Number.NaN;
  threshold = Number.NaN;

  constructor(kind: AnomalyKind, settings: DetectorSettings) {
    this.kind = kind;
    this.settings = settings;
  }

  /** Judges one window value; returns the change it caused, if any. */
  judge(value: number, now: number, exceeds: (threshold: number) => boolean): 'raised' | 'cleared' | undefined {
    const { madThreshold, minBaseline, sustainMs, recoverMs, baselineSize } = this.settings;
    const minimumShift = this.kind === 'latency' ? this.settings.minLatencyShiftMs : this.settings.minErrorRateShift;
    this.value = value;
    let deviating = false;
    if (this.history.length >= minBaseline) {
      this.baseline = median(this.history);
      const spread = MAD_TO_SIGMA * medianAbsoluteDeviation(this.history, this.baseline);
      this.threshold = this.baseline + Math.max(madThreshold * spread, minimumShift);
      deviating = exceeds(this.threshold);
    }
    let change: 'raised' | 'cleared' | undefined;
    switch (this.phase) {
      case 'normal':
        if (deviating) this.moveTo('pending', now);
        break;
      case 'pending':
        if (!deviating) this.moveTo('normal', now);
        break;
      case 'active':
        if (!deviating) {
          this.phase = 'recovering';
          this.recoveringSince = now;
        }
        break;
      case 'recovering':
        if (deviating) this.phase = 'active'; // still raised; `since` keeps the raise time
        break;
    }
    if (this.phase === 'pending' && now - (this.since as number) >= sustainMs) {
      this.moveTo('active', now);
      change = 'raised';
    } else if (this.phase === 'recovering' && now - (this.recoveringSince as number) >= recoverMs) {
      this.moveTo('normal', now);
      change = 'cleared';
    }
    if (this.phase === 'normal' && !deviating) {
      this.history.push(value);
      if (this.history.length > baselineSize) this.history.shift();
    }
    return change;
  }

  /** Takes new settings; a smaller `baselineSize` keeps the most recent values. */
  retune(settings: DetectorSettings): void {
    this.settings = settings;
    if (this.history.length > settings.baselineSize) this.history = this.history.slice(-settings.baselineSize);
  }

  /** Forgets everything learnt, as at start. */
  forget(): void {
    this.history = [];
    this.phase = 'normal';
    this.since = undefined;
    this.recoveringSince = undefined;
    this.value = Number.NaN;
    this.baseline = Number.NaN;
    this.threshold = Number.NaN;
  }

  private moveTo(phase: 'normal' | 'pending' | 'active', now: number): void {
    this.phase = phase;
    this.since = now;
    this.recoveringSince = undefined;
  }

  state(): SignalState {
    return {
      kind: this.kind,
      phase: this.phase,
      active: this.phase === 'active' || this.phase === 'recovering',
      since: this.since,
      value: this.value,
      baseline: this.baseline,
      threshold: this.threshold,
    };
  }
}

interface StepCounts {
  counts: Uint32Array;
  requests: number;
  errors: number;
}

function emptyStep(): StepCounts {
  return { counts: new Uint32Array(SKETCH_BUCKETS), requests: 0, errors: 0 };
}

export class AnomalyDetector {
  readonly key: string;
  private settings: DetectorSettings;
  private slots: StepCounts[] = [];
  private readonly windowCounts = new Uint32Array(SKETCH_BUCKETS);
  private windowRequests = 0;
  private windowErrors = 0;
  private next = 0;
  private rolls = 0;
  private current: StepCounts = emptyStep();
  private readonly signals: Record<AnomalyKind, Signal>;
  /** While true (detection turned off) `record` keeps nothing. */
  private suspended = false;

  constructor(key: string, settings: DetectorSettings) {
    this.key = key;
    this.settings = settings;
    this.emptyWindow();
    this.signals = {
      latency: new Signal('latency', settings),
      errors: new Signal('errors', settings),
    };
  }

  /** Counts one finished request or call. The hot path: one logarithm and three increments. */
  record(durationMs: number, failed: boolean): void {
    if (this.suspended) return;
    const current = this.current;
    (current.counts[bucketOf(durationMs)] as number)++;
    current.requests++;
    if (failed) current.errors++;
  }

  /** Closes the current step into the window, judges the window, and returns what was raised or cleared. */
  roll(now: number): AnomalyTransition[] {
    const closed = this.current;
    const evicted = this.slots[this.next] as StepCounts;
    for (let i = 0; i < SKETCH_BUCKETS; i++) {
      (this.windowCounts[i] as number) += (closed.counts[i] as number) - (evicted.counts[i] as number);
    }
    this.windowRequests += closed.requests - evicted.requests;
    this.windowErrors += closed.errors - evicted.errors;
    this.slots[this.next] = closed;
    this.next = (this.next + 1) % this.slots.length;
    evicted.counts.fill(0);
    evicted.requests = 0;
    evicted.errors = 0;
    this.current = evicted; // reuse the evicted buffers for the new step
    if (this.rolls < this.slots.length) this.rolls++;

    // A window not yet full holds too few samples for a p99 worth judging or learning.
    if (this.rolls < this.slots.length || this.windowRequests < this.settings.minRequests) return [];
    const stats = this.window();
    const transitions: AnomalyTransition[] = [];
    for (const kind of ANOMALY_KINDS) {
      const signal = this.signals[kind];
      const change =
        kind === 'latency'
          ? signal.judge(stats.p99Ms, now, (threshold) => p99Above(this.windowCounts, stats.requests, threshold))
          : signal.judge(stats.errors / stats.requests, now, (threshold) => ratioAbove(stats.errors, stats.requests, threshold));
      if (change !== undefined)
        transitions.push({
          kind,
          key: this.key,
          change,
          at: now,
          state: signal.state(),
          ...(change === 'cleared' ? { reason: 'recovered' as const } : {}),
        });
    }
    return transitions;
  }

  /**
   * Applies new settings from the next step on. Thresholds, sustain and
   * recovery times, minimum counts and the baseline size keep what was
   * learnt (a smaller baseline keeps its most recent values). A new
   * `windowMs` or `stepMs` changes what one window value is, so the baseline
   * of old values no longer compares: the detector starts afresh and returns
   * the clears of what was raised (reason `baseline-reset`).
   */
  retune(settings: DetectorSettings, now: number): AnomalyTransition[] {
    const reshaped = settings.windowMs !== this.settings.windowMs || settings.stepMs !== this.settings.stepMs;
    this.settings = settings;
    for (const kind of ANOMALY_KINDS) this.signals[kind].retune(settings);
    return reshaped ? this.reset(now, 'baseline-reset') : [];
  }

  /** Forgets the window and the baselines, as at start; returns a clear for each raised anomaly. */
  reset(now: number, reason: ClearReason): AnomalyTransition[] {
    const transitions: AnomalyTransition[] = [];
    for (const kind of ANOMALY_KINDS) {
      const signal = this.signals[kind];
      const state = signal.state();
      if (state.active) transitions.push({ kind, key: this.key, change: 'cleared', at: now, state, reason });
      signal.forget();
    }
    this.emptyWindow();
    return transitions;
  }

  /** Detection off: drops what was learnt (clears returned) and ignores `record` until `resume`. */
  suspend(now: number): AnomalyTransition[] {
    this.suspended = true;
    return this.reset(now, 'detection-disabled');
  }

  resume(): void {
    this.suspended = false;
  }

  /** Requests, errors and p99 over the closed steps of the window. */
  window(): WindowStats {
    return {
      requests: this.windowRequests,
      errors: this.windowErrors,
      p99Ms: quantileOf(this.windowCounts, this.windowRequests, 0.99),
    };
  }

  state(kind: AnomalyKind): SignalState {
    return this.signals[kind].state();
  }

  /** A window of `windowMs / stepMs` empty steps, none closed yet. */
  private emptyWindow(): void {
    const size = Math.max(1, Math.round(this.settings.windowMs / this.settings.stepMs));
    this.slots = Array.from({ length: size }, emptyStep);
    this.windowCounts.fill(0);
    this.windowRequests = 0;
    this.windowErrors = 0;
    this.next = 0;
    this.rolls = 0;
    this.current = emptyStep();
  }
}
