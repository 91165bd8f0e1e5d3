// A minimal Kubernetes API client for the harness itself (node readiness, test pods):
// reads a kubeconfig with embedded client certificates, as kubeconfig.ts writes them.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { parse } from 'yaml';

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export interface KubeApi {
  server: string;
  request<T = Record<string, unknown>>(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<ApiResponse<T>>;
}

interface KubeconfigDoc {
  clusters: { cluster: { server: string; 'certificate-authority-data': string; 'tls-server-name'?: string } }[];
  users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
}

export function apiFromKubeconfig(path: string): KubeApi {
  const doc = parse(readFileSync(path, 'utf8')) as KubeconfigDoc;
  const cluster = doc.clusters[0]!.cluster;
  const user = doc.users[0]!.user;
  const b64 = (s: string) => Buffer.from(s, 'base64');
  const tls = {
    ca: b64(cluster['certificate-authority-data']),
    cert: b64(user['client-certificate-data']),
    key: b64(user['client-key-data']),
    ...(cluster['tls-server-name'] ? { servername: cluster['tls-server-name'] } : {}),
  };
  return {
    server: cluster.server,
    request: <T>(method: string, path: string, body?: unknown, timeoutMs = 15_000) =>
      new Promise<ApiResponse<T>>((resolve, reject) => {
        const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        const req = request(
          `${cluster.server}${path}`,
          {
            ...tls,
            method,
            timeout: timeoutMs,
            headers: {
              accept: 'application/json',
              ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let parsed: unknown = text;
              try {
                parsed = JSON.parse(text);
              } catch {
                /* not JSON */
              }
              resolve({ status: res.statusCode ?? 0, body: parsed as T });
            });
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
        req.on('error', reject);
        req.end(payload);
      }),
  };
}

/** Polls `probe` every `intervalMs` until it returns a value; fails after `timeoutMs` or when `abort` rejects. */
export async function poll<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  options: { intervalMs?: number; abort?: Promise<never> } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let aborted: unknown;
  let failed = false;
  void options.abort?.catch((error: unknown) => {
    aborted = error;
    failed = true;
  });
  while (Date.now() < deadline) {
    if (failed) throw aborted;
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`,
  );
}
