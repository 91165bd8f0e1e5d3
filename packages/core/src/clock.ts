/**
 * Time and chance, injectable: whatever waits, measures windows or draws
 * jitter takes a Clock and a random source, so that tests drive them
 * deterministically.
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
