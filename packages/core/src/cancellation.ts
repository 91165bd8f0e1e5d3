/**
 * Cancellation: what the policies pass down to say "stop". It does the job
 * of an AbortSignal at a fraction of the cost on the hot path: no
 * EventTarget, no AbortController, listeners in a plain array. A real
 * AbortSignal is made only when someone asks for `.signal` (fetch, gRPC),
 * so a proxied call that never needs one never pays for it (the gateway's
 * profile, bench/gateway/README.md).
 */

type Listener = (reason: unknown) => void;

export class Cancellation {
  #aborted = false;
  #reason: unknown;
  #listeners: Listener[] | undefined;
  #controller: AbortController | undefined;
  /** Set when this mirrors an AbortSignal made elsewhere (a request's, a caller's). */
  readonly #source: AbortSignal | undefined;

  private constructor(source?: AbortSignal) {
    this.#source = source;
  }

  /** A cancellation this code fires itself with `abort()`. */
  static create(): Cancellation {
    return new Cancellation();
  }

  /** One that follows `signal` (it cannot be aborted through this object). */
  static fromSignal(signal: AbortSignal): Cancellation {
    return new Cancellation(signal);
  }

  /** Never fires: a stand-in for "no caller signal". */
  static readonly NEVER: Cancellation = new Cancellation();

  get aborted(): boolean {
    return this.#source?.aborted ?? this.#aborted;
  }

  get reason(): unknown {
    return this.#source === undefined ? this.#reason : this.#source.reason;
  }

  /** An AbortSignal that fires with this; made on first use. */
  get signal(): AbortSignal {
    if (this.#source !== undefined) return this.#source;
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.#source !== undefined) throw new TypeError('A cancellation that follows an AbortSignal is aborted through that signal');
    if (this.#aborted || this === Cancellation.NEVER) return;
    this.#aborted = true;
    this.#reason = reason;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners !== undefined) for (const listener of listeners) listener(reason);
    this.#controller?.abort(reason);
  }

  /**
   * Calls `listener` once, when this fires (not if it already has: check
   * `aborted` first). Returns the function that unsubscribes it.
   */
  onAbort(listener: Listener): () => void {
    if (this === Cancellation.NEVER) return noop;
    const source = this.#source;
    if (source !== undefined) {
      const forward = (): void => listener(source.reason);
      source.addEventListener('abort', forward, { once: true });
      return () => source.removeEventListener('abort', forward);
    }
    if (this.#aborted) return noop;
    this.#listeners ??= [];
    this.#listeners.push(listener);
    return () => {
      const listeners = this.#listeners;
      if (listeners === undefined) return;
      const index = listeners.indexOf(listener);
      if (index >= 0) listeners.splice(index, 1);
    };
  }
}

function noop(): void {}
