/**
 * Waits `ms`, or rejects with the signal's reason as soon as one of `signals`
 * fires: the caller's loop ends the way a cancelled operation does.
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

/**
 * Waits `ms`, or less when `signal` fires first; never rejects. For loops
 * that check `signal.aborted` themselves after each wait.
 */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(ms, signal).catch(ignore);
}

function ignore(): void {}
