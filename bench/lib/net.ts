/** Loopback HTTP helpers for benchmarks: free ports, readiness polling, small JSON requests. */
import { request } from 'node:http';
import { createServer } from 'node:net';

/** A port that was free a moment ago (bind 0, read, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request on a fresh connection (no agent pooling, so polling never reuses a dead socket). */
export function httpRequest(
  url: string,
  options: { method?: string; body?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers, connection: 'close' };
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    const req = request(url, { method: options.method ?? 'GET', headers, agent: false, timeout: options.timeoutMs ?? 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Polls `url` every `intervalMs` until it answers 200; resolves with the
 * moment it did (performance.now()). Rejects on timeout or when `hasExited` says
 * the server died.
 */
export async function waitFor200(
  url: string,
  opts: { timeoutMs: number; intervalMs: number; hasExited?: () => boolean; name: string },
): Promise<number> {
  const deadline = performance.now() + opts.timeoutMs;
  for (;;) {
    try {
      const answer = await httpRequest(url, { timeoutMs: 1_000 });
      if (answer.status === 200) return performance.now();
    } catch {
      // not listening yet
    }
    if (opts.hasExited?.() === true) throw new Error(`${opts.name} exited before ${url} answered 200`);
    if (performance.now() > deadline) throw new Error(`${opts.name}: ${url} did not answer 200 within ${opts.timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, opts.intervalMs));
  }
}
