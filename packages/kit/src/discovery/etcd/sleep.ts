/** A sleep that `wake()` cuts short (used by retry loops that must stop promptly). */
export class Sleeper {
  #wake: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(resolve, ms);
    });
  }

  wake(): void {
    clearTimeout(this.#timer);
    this.#wake?.();
    this.#wake = undefined;
  }
}

/** Exponential backoff with full jitter between `minMs` and the current ceiling. */
export class Backoff {
  private readonly minMs: number;
  private readonly maxMs: number;
  #next: number;
  constructor(minMs: number, maxMs: number) {
    this.minMs = minMs;
    this.maxMs = maxMs;
    this.#next = minMs;
  }

  next(): number {
    const ceiling = this.#next;
    this.#next = Math.min(this.#next * 2, this.maxMs);
    return this.minMs + Math.random() * (ceiling - this.minMs);
  }

  reset(): void {
    this.#next = this.minMs;
  }
}
