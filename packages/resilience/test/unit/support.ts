// Deterministic time and chance for the policy tests.
import type { Clock, RandomSource } from '@flotilla/resilience';

export class FakeClock implements Clock {
  private time: number;
  constructor(time = 1_700_000_000_000) {
    this.time = time;
  }
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

/** Returns the given values in turn, then repeats the last one. */
export function sequence(...values: number[]): RandomSource {
  let index = 0;
  return () => values[Math.min(index++, values.length - 1)] as number;
}

/** A promise resolved from outside. */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
