/**
 * What a balancer remembers about one instance: outstanding requests, a
 * time-decayed latency EWMA, and its passive-health (outlier) state.
 */
import { BackoffPolicy } from '@flotilla/core';
import type { EjectionOptions } from './types.ts';

export class EndpointState {
  inflight = 0;
  picks = 0;
  lastPickAt = 0;
  ewmaMs: number | undefined;
  #lastSampleAt = 0;
  consecutiveFailures = 0;
  ejections = 0;
  ejectedUntil = 0;
  /** Re-admitted after an ejection and not yet proven healthy: one failure ejects again, for longer. */
  onProbation = false;

  /**
   * EWMA decayed by elapsed time (go-zero / Kratos style): a sample after a
   * long pause replaces the average, samples in quick succession blend. Each
   * sample still moves it by at least `minWeight`, so a burst of slow answers
   * shows within a few requests even when they arrive within a millisecond.
   */
  recordLatency(sampleMs: number, now: number, decayMs: number, minWeight = 0.05): void {
    if (this.ewmaMs === undefined) {
      this.ewmaMs = sampleMs;
    } else {
      const keep = Math.min(Math.exp(-(now - this.#lastSampleAt) / decayMs), 1 - minWeight);
      this.ewmaMs = this.ewmaMs * keep + sampleMs * (1 - keep);
    }
    this.#lastSampleAt = now;
  }

  /** Ejected now; once the ejection runs out the instance comes back on probation. */
  isEjected(now: number): boolean {
    if (this.ejectedUntil === 0) return false;
    if (now < this.ejectedUntil) return true;
    this.ejectedUntil = 0;
    this.onProbation = true;
    return false;
  }

  recordSuccess(): void {
    this.consecutiveFailures = 0;
    if (this.onProbation) {
      this.onProbation = false;
      this.ejections = 0;
    }
  }

  /** Counts a failure; returns true when it ejected the instance. */
  recordFailure(now: number, options: EjectionOptions | undefined): boolean {
    this.consecutiveFailures += 1;
    if (options === undefined || this.isEjected(now)) return false;
    if (!this.onProbation && this.consecutiveFailures < options.consecutiveFailures) return false;
    this.ejectedUntil = now + ejectionBackoff(options).delayMs(this.ejections + 1);
    this.ejections += 1;
    this.consecutiveFailures = 0;
    this.onProbation = false;
    return true;
  }
}

/** Ejections in a row double, without jitter: each instance keeps its own count. */
function ejectionBackoff(options: EjectionOptions): BackoffPolicy {
  return new BackoffPolicy({ initialMs: options.baseEjectionMs, maxMs: options.maxEjectionMs, jitter: 'none' });
}
