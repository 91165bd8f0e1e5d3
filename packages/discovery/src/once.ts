/**
 * Register-once semantics shared by the backends (Go's sync.Once): the first
 * call does the work, later calls get the same result. A first call that
 * fails (e.g. an invalid spec) does not count, so it may be retried.
 */
export class Once<T> {
  #pending: Promise<T> | undefined;

  run(work: () => Promise<T>): Promise<T> {
    if (this.#pending === undefined) {
      const attempt = work();
      this.#pending = attempt;
      attempt.catch(() => {
        if (this.#pending === attempt) this.#pending = undefined;
      });
    }
    return this.#pending;
  }

  /** The result of the first successful or in-flight call, if any. */
  get current(): Promise<T> | undefined {
    return this.#pending;
  }

  /** Forgets the result, so the next `run` works again (after deregister). */
  reset(): void {
    this.#pending = undefined;
  }
}
