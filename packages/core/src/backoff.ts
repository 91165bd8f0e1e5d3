/**
 * Exponential backoff: the ceiling of the delay before retry n is
 * min(maxMs, initialMs × factor^(n−1)), and the jitter decides where below
 * it the delay falls, so that clients which failed together do not retry
 * together.
 */
import { systemRandom, type RandomSource } from './clock.ts';

/**
 * - `none`: the ceiling itself (one retrier per key, nothing to spread);
 * - `full`: anywhere in [0, ceiling): spreads competing retries the most;
 * - `equal`: in [ceiling/2, ceiling): spread, yet never much shorter than the ceiling.
 */
export type Jitter = 'none' | 'full' | 'equal';

export interface BackoffOptions {
  /** The ceiling of the first retry's delay. */
  initialMs: number;
  /** The ceiling grows no further than this. */
  maxMs: number;
  /** Growth of the ceiling per retry. Default 2. */
  factor?: number;
  /** Default `full`. */
  jitter?: Jitter;
  random?: RandomSource;
}

export class BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  readonly jitter: Jitter;
  readonly #random: RandomSource;

  constructor(options: BackoffOptions) {
    this.initialMs = options.initialMs;
    this.maxMs = options.maxMs;
    this.factor = options.factor ?? 2;
    this.jitter = options.jitter ?? 'full';
    this.#random = options.random ?? systemRandom;
  }

  /** The delay before retry `retry` (1 is the first), in whole milliseconds. */
  delayMs(retry: number): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * this.factor ** (retry - 1));
    switch (this.jitter) {
      case 'none':
        return Math.floor(ceiling);
      case 'full':
        return Math.floor(this.#random() * ceiling);
      case 'equal':
        return Math.floor(ceiling / 2 + (this.#random() * ceiling) / 2);
    }
  }
}

/**
 * The delays of one retrier: each `next()` is the following retry's delay;
 * `reset()`, once the retried work is healthy again, starts over from the first.
 */
export class Backoff {
  readonly policy: BackoffPolicy;
  #retries = 0;

  constructor(policy: BackoffPolicy) {
    this.policy = policy;
  }

  next(): number {
    this.#retries += 1;
    return this.policy.delayMs(this.#retries);
  }

  reset(): void {
    this.#retries = 0;
  }
}

/**
 * `durationMs` stretched by a random part of up to `maxFactor` of itself (as
 * client-go's wait.Jitter): periodic work of many clients stays out of step.
 */
export function jittered(durationMs: number, maxFactor: number, random: RandomSource = systemRandom): number {
  return durationMs + random() * maxFactor * durationMs;
}
