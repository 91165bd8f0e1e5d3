// Raw GETs against kube-apiserver with the admin client certificate, for what is not JSON:
// a pprof CPU profile (/debug/pprof/profile; start the apiserver with --profiling=true,
// read it with `go tool pprof -top FILE`) and the Prometheus text of /metrics.
import { request } from 'node:https';
import { writeFile } from 'node:fs/promises';
import type { ClusterConnection } from '@flotilla/operator';

export async function getRaw(connection: ClusterConnection, path: string, timeoutMs = 60_000): Promise<Buffer> {
  return await new Promise<Buffer>((resolve, reject) => {
    const req = request(
      new URL(`${connection.server}${path}`),
      { ca: connection.ca, cert: connection.cert, key: connection.key, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${path}: HTTP ${res.statusCode}`)),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${path}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export async function profileApiserver(connection: ClusterConnection, seconds: number, file: string): Promise<void> {
  await writeFile(file, await getRaw(connection, `/debug/pprof/profile?seconds=${seconds}`, (seconds + 60) * 1000));
}
