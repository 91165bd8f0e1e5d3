/**
 * Time and chance, injectable: every policy takes a Clock and a random source
 * so that tests can drive windows, deadlines and jitter deterministically.
 * They live in @flotilla/core, shared with the packages below the kit.
 */
export { NEVER_ABORTED, type Clock, type RandomSource, sleep, systemClock, systemRandom } from '@flotilla/core';
