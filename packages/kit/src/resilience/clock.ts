/**
 * Time and chance, injectable: every policy takes a Clock and a random source
 * so that tests can drive windows, deadlines and jitter deterministically.
 */

/** Wall-clock milliseconds since the epoch (deadlines cross processes, so they are absolute). */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A number in [0, 1). */
export type RandomSource = () => number;

export const systemRandom: RandomSource = Math.random;

/** An AbortSignal that never fires, shared (a stand-in for "no signal"). */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/**
 * Waits `ms`, or rejects with the signal's reason as soon as one of `signals`
 * fires.
 */
export function sleep(ms: number, ...signals: AbortSignal[]): Promise<void> {
  for (const signal of signals) if (signal.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      for (const signal of signals) signal.removeEventListener('abort', onAbort);
    };
    const onAbort = function (this: AbortSignal): void {
      done();
      reject(this.reason);
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    for (const signal of signals) signal.addEventListener('abort', onAbort, { once: true });
  });
}
