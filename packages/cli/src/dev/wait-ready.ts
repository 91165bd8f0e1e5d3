/** Polls each process's /readyz until it answers 200, or gives up after `timeoutMs`. */
export async function waitReady(urls: string[], timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(urls);
  while (pending.size > 0 && Date.now() < deadline) {
    await Promise.all(
      [...pending].map(async (url) => {
        try {
          const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) });
          if (response.ok) pending.delete(url);
        } catch {
          // not listening yet
        }
      }),
    );
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return [...pending];
}
