/**
 * How late the event loop runs, as the p90 over a sliding time window.
 *
 * A timer fires every `intervalMs`; how much later than asked it fired is one
 * sample. Why p90 and not the maximum: one long pause (a GC, a module loaded
 * on first use, a slow test machine) yields a single late sample followed by
 * punctual ones, and is not overload; refusing work for a whole window after
 * it turned healthy requests away for nothing. When the loop really is
 * saturated every sample is late, and the p90 shows it.
 *
 * Why not `perf_hooks.monitorEventLoopDelay`: its histogram has no time
 * window (it must be reset, losing what it just recorded).
 */
export interface DelaySignal {
  /** Current event-loop delay in milliseconds. */
  delayMs(): number;
}

export class EventLoopDelaySampler implements DelaySignal {
  #intervalMs: number;
  #windowMs: number;
  #timer: NodeJS.Timeout | undefined;
  #lastTick = 0;
  /** Sample times and lags, oldest first, only those inside the window. */
  readonly #times: number[] = [];
  readonly #lags: number[] = [];
  #p90 = 0;

  constructor(options: { intervalMs: number; windowMs: number }) {
    this.#intervalMs = options.intervalMs;
    this.#windowMs = options.windowMs;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#lastTick = performance.now();
    this.#timer = setInterval(() => this.#tick(), this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  reconfigure(options: { intervalMs: number; windowMs: number }): void {
    const restart = this.#timer !== undefined && options.intervalMs !== this.#intervalMs;
    this.#intervalMs = options.intervalMs;
    this.#windowMs = options.windowMs;
    if (!restart) return;
    this.stop();
    this.start();
  }

  delayMs(): number {
    return this.#timer === undefined ? 0 : this.#p90;
  }

  #tick(): void {
    const now = performance.now();
    const lag = Math.max(0, now - this.#lastTick - this.#intervalMs);
    this.#lastTick = now;
    this.#times.push(now);
    this.#lags.push(lag);
    let expired = 0;
    while (expired < this.#times.length && (this.#times[expired] as number) < now - this.#windowMs) expired++;
    if (expired > 0) {
      this.#times.splice(0, expired);
      this.#lags.splice(0, expired);
    }
    this.#p90 = percentile90(this.#lags);
  }
}

/** Nearest-rank p90 of the window's samples. */
function percentile90(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.9) - 1)] as number;
}
