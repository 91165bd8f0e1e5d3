import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';

export interface EventuallyOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between two checks (default 20 ms). */
  intervalMs?: number;
  /** What is awaited, for the failure: "timed out after … waiting for <message>". */
  message?: string;
}

type Falsy = undefined | null | false | 0 | '';

/**
 * Checks `check` until it returns a truthy value, and resolves with that
 * value. A check that returns something falsy or throws (an assertion, a 404
 * from an object not there yet) is tried again after `intervalMs`; after
 * `timeoutMs` the promise rejects with `message` and what the last check
 * returned or threw (also its `cause`).
 */
export async function eventually<T>(check: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<Exclude<T, Falsy>> {
  const { timeoutMs = 10_000, intervalMs = 20, message = 'a condition' } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: { value: unknown } | { error: unknown };
    try {
      const value = await check();
      if (value) return value as Exclude<T, Falsy>;
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (Date.now() >= deadline) {
      const what = 'error' in last ? `last error: ${describe(last.error)}` : `last value: ${inspect(last.value)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message} (${what})`, 'error' in last ? { cause: last.error } : {});
    }
    await sleep(intervalMs);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : inspect(error);
}
