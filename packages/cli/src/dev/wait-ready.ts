import { OWN_REQUEST_HEADERS } from './own-requests.ts';

/** Polls each process's /readyz until every one answers 200, or `cancelled()` says to stop waiting. */
export interface WaitReadyOptions {
  /** Called once, with what is still not ready, when waiting takes longer than `slowAfterMs`. */
  onSlow: (pending: string[]) => void;
  slowAfterMs: number;
  cancelled: () => boolean;
}

/** Resolves true once all are ready, false when cancelled first. */
export async function waitReady(urls: string[], options: WaitReadyOptions): Promise<boolean> {
  const slowAt = Date.now() + options.slowAfterMs;
  let warned = false;
  const pending = new Set(urls);
  while (pending.size > 0) {
    if (options.cancelled()) return false;
    await Promise.all(
      [...pending].map(async (url) => {
        try {
          const response = await fetch(`${url}/readyz`, { headers: OWN_REQUEST_HEADERS, signal: AbortSignal.timeout(1_000) });
          if (response.ok) pending.delete(url);
        } catch {
          // not listening yet
        }
      }),
    );
    if (!warned && pending.size > 0 && Date.now() > slowAt) {
      warned = true;
      options.onSlow([...pending]);
    }
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return !options.cancelled();
}
