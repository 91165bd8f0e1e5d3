/**
 * DeadlinePolicy: runs a call under the earliest of the caller's deadline and
 * this policy's timeout. No time left: fails at once without calling. The
 * function gets a signal that fires at the deadline; if it ignores it, its
 * work is abandoned anyway and the caller gets `deadline-exceeded` on time.
 */
import { Cancellation } from '@flotilla/core';
import { systemClock, type Clock } from './clock.ts';
import { Deadline } from '@flotilla/core';
import { deriveContext, executionContext, invoke, type ExecuteOptions, type Operation, type Policy } from './policy.ts';

/** Node's timers overflow past this (about 24.8 days): such a deadline is never reached in practice. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface DeadlinePolicyOptions {
  /** Cap for each call; the caller's deadline still wins when it is earlier. */
  timeoutMs?: number | undefined;
  /** Named in the error message ("… calling users"). */
  upstream?: string | undefined;
  clock?: Clock;
}

export class DeadlinePolicy implements Policy {
  #timeoutMs: number | undefined;
  readonly #message: string;
  readonly #clock: Clock;

  constructor(options: DeadlinePolicyOptions = {}) {
    this.#timeoutMs = options.timeoutMs;
    this.#message = options.upstream === undefined ? 'The deadline was exceeded' : `The deadline was exceeded calling ${options.upstream}`;
    this.#clock = options.clock ?? systemClock;
  }

  get timeoutMs(): number | undefined {
    return this.#timeoutMs;
  }

  configure(options: { timeoutMs?: number | undefined }): void {
    this.#timeoutMs = options.timeoutMs;
  }

  execute<T>(fn: Operation<T>, options?: ExecuteOptions<T>): Promise<T> {
    const context = executionContext(options);
    const deadline =
      this.#timeoutMs === undefined ? context.deadline : context.deadline.earliest(Deadline.after(this.#timeoutMs, this.#clock));
    const message = this.#message;
    if (deadline.expired()) return Promise.reject(deadline.error(message));
    const caller = context.cancellation;
    if (caller.aborted) return Promise.reject(caller.reason);
    if (!deadline.bounded) return fn(context);

    // One cancellation fired by the timer or by the caller's (forwarded). The timer is cleared
    // when the call settles: no timer outlives the call, and while the call runs the process
    // stays up to answer it.
    const own = Cancellation.create();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      /** True for the first of the three ways to end (timer, caller, the call itself): it clears the other two. */
      const finish = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        stopForwarding();
        return true;
      };
      const stop = (reason: unknown): void => {
        if (!finish()) return;
        own.abort(reason);
        reject(reason);
      };
      const ms = deadline.remaining();
      const timer = ms <= MAX_TIMER_MS ? setTimeout(() => stop(deadline.error(message)), ms) : undefined;
      const stopForwarding = caller.onAbort(stop);
      invoke(fn, deriveContext(context, { cancellation: own, deadline })).then(
        (value) => {
          if (finish()) resolve(value);
        },
        (error: unknown) => {
          if (finish()) reject(error);
        },
      );
    });
  }
}
