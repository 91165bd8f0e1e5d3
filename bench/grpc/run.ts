/**
 * gRPC GetUser: the users service (bundle, SQLite) against a bare grpc-js server
 * answering the same RPC with a constant, in one run. Servers share CPU 0, the
 * load generator has CPU 1. Prints calls/s and server CPU µs per call, and ratios.
 *   node bench/grpc/run.ts [--seconds 10] [--concurrency 32]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { canPin, installCleanup, spawnChild, type Child } from '../lib/children.ts';
import { freePort, waitFor200 } from '../lib/net.ts';
import { cpuSeconds } from '../lib/proc-stats.ts';
import { fixed, renderTable } from '../lib/table.ts';

const root = join(import.meta.dirname, '..', '..');
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, concurrency: { type: 'string', default: '32' } } });
const pin = canPin();
const home = mkdtempSync(join(tmpdir(), 'flotilla-bench-grpc-'));
installCleanup(async () => rmSync(home, { recursive: true, force: true }));

async function startEcho(): Promise<{ child: Child; target: string }> {
  const port = await freePort();
  const child = spawnChild({
    name: 'grpc-js echo',
    command: process.execPath,
    args: [join(import.meta.dirname, 'echo-server.mjs'), String(port)],
    cwd: root,
    env: process.env,
    cpus: pin ? '0' : undefined,
    pipeStdout: true,
  });
  await new Promise<void>((resolve) => child.process.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
  return { child, target: `127.0.0.1:${port}` };
}

async function startUsers(): Promise<{ child: Child; target: string; ids: string[] }> {
  const [http, grpcPort] = [await freePort(), await freePort()];
  const env = {
    ...process.env,
    FLOTILLA_HOME: home,
    FLOTILLA_CONFIG_DIR: join(root, 'config'),
    FLOTILLA_ENV: 'dev',
    FLOTILLA_CONFIG_RELOAD: 'off',
    FLOTILLA_USERS__HTTP__PORT: String(http),
    FLOTILLA_USERS__GRPC__PORT: String(grpcPort),
    FLOTILLA_USERS__LOG__LEVEL: 'warn',
  };
  const child = spawnChild({
    name: 'users',
    command: process.execPath,
    args: [join(root, 'services/users/dist/bundle.mjs')],
    cwd: root,
    env,
    cpus: pin ? '0' : undefined,
    outputFile: join(home, 'users.log'),
  });
  await waitFor200(`http://127.0.0.1:${http}/readyz`, {
    timeoutMs: 60_000,
    intervalMs: 20,
    hasExited: () => child.hasExited(),
    name: 'users',
  });
  const ids: string[] = [];
  for (let i = 0; i < 200; i++) {
    const response = await fetch(`http://127.0.0.1:${http}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: `Bench ${i}`, email: `bench${i}@example.com` }),
    });
    ids.push(((await response.json()) as { id: string }).id);
  }
  return { child, target: `127.0.0.1:${grpcPort}`, ids };
}

async function load(server: Child, target: string, ids: string[]): Promise<{ perSecond: number; cpuMicros: number; errors: number }> {
  const generator = spawnChild({
    name: 'load',
    command: process.execPath,
    args: [join(import.meta.dirname, 'load.mjs'), target, values.seconds, values.concurrency, JSON.stringify(ids)],
    cwd: root,
    env: process.env,
    cpus: pin ? '1' : undefined,
    pipeStdout: true,
  });
  let out = '';
  let cpuAtStart = 0;
  generator.process.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    if (cpuAtStart === 0 && out.includes('measuring')) cpuAtStart = cpuSeconds(server.pid);
  });
  await generator.exited;
  const cpuUsed = cpuSeconds(server.pid) - cpuAtStart;
  const result = JSON.parse(out.trim().split('\n').pop() as string) as { calls: number; errors: number; seconds: number };
  return { perSecond: result.calls / result.seconds, cpuMicros: (cpuUsed * 1e6) / result.calls, errors: result.errors };
}

try {
  const echo = await startEcho();
  const users = await startUsers();
  const bare = await load(echo.child, echo.target, users.ids);
  const real = await load(users.child, users.target, users.ids);
  process.stdout.write(
    `gRPC GetUser, ${values.concurrency} concurrent calls, ${values.seconds} s after 2 s warm-up, ${pin ? 'servers on CPU 0, load on CPU 1' : 'unpinned'}\n\n`,
  );
  process.stdout.write(
    `${renderTable(
      ['target', 'calls/s', 'CPU µs/call', '× bare (calls/s)', '× bare (CPU)', 'errors'],
      [
        ['bare grpc-js, constant answer', fixed(bare.perSecond), fixed(bare.cpuMicros), '1.00', '1.00', String(bare.errors)],
        [
          'users service, SQLite lookup',
          fixed(real.perSecond),
          fixed(real.cpuMicros),
          fixed(real.perSecond / bare.perSecond, 2),
          fixed(bare.cpuMicros / real.cpuMicros, 2),
          String(real.errors),
        ],
      ],
    )}\n`,
  );
  await Promise.all([echo.child.stop(), users.child.stop()]);
} finally {
  rmSync(home, { recursive: true, force: true });
}
