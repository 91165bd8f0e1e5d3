/**
 * Tracing overhead: the users service with metrics on in both runs, tracing
 * off vs tracing on (ratio 1.0, every span exported over OTLP http/protobuf
 * to a loopback sink). Reports server CPU µs per request (and req/s, p99)
 * for GET /users/:id on SQLite, alternating the order each round, and the
 * ratio on/off. Target: ≤ 1.25×.
 *
 *   npm run build && node bench/observability/run.ts [--rounds 3 --duration 5 --warmup 2 --connections 20 --ratio 1 --no-pin]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { canPin, installCleanup, spawnChild, type Child } from '../lib/children.ts';
import { runLoad, type MeasuredLoad } from '../lib/load.ts';
import { freePort, waitFor200 } from '../lib/net.ts';
import { fixed, median, renderTable } from '../lib/table.ts';
import { REPO_ROOT, USERS_MAIN, seedUsers } from '../users/servers.ts';
import { startSink } from './sink.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '20' },
    users: { type: 'string', default: '500' },
    ratio: { type: 'string', default: '1' },
    'no-pin': { type: 'boolean', default: false },
  },
});
const rounds = Number(args.rounds);
const pin = !args['no-pin'] && canPin();
const SERVER_CPUS = pin ? '0' : undefined;
const LOAD_CPUS = pin ? '1' : undefined;
const log = (message: string): void => void process.stderr.write(`[bench] ${message}\n`);

const workDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-observability-'));
const children: Child[] = [];
installCleanup(async () => {
  await Promise.all(children.map((c) => c.stop(2_000)));
});

async function startUsers(name: string, tracingEndpoint: string | undefined): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const grpcPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('FLOTILLA_'))),
    FLOTILLA_CONFIG_DIR: join(REPO_ROOT, 'config'),
    FLOTILLA_ENV: 'dev',
    FLOTILLA_HOME: join(workDir, name),
    FLOTILLA_USERS__DATABASE__DSN: `sqlite:${join(workDir, name, 'users.sqlite')}`,
    FLOTILLA_USERS__HTTP__HOST: '127.0.0.1',
    FLOTILLA_USERS__HTTP__PORT: String(port),
    FLOTILLA_USERS__GRPC__HOST: '127.0.0.1',
    FLOTILLA_USERS__GRPC__PORT: String(grpcPort),
    FLOTILLA_USERS__LOG__LEVEL: 'warn',
    FLOTILLA_USERS__METRICS__ENABLED: 'true',
    FLOTILLA_USERS__TRACING__ENABLED: tracingEndpoint === undefined ? 'false' : 'true',
    ...(tracingEndpoint === undefined
      ? {}
      : { FLOTILLA_USERS__TRACING__ENDPOINT: tracingEndpoint, FLOTILLA_USERS__TRACING__SAMPLE_RATIO: args.ratio }),
  };
  const child = spawnChild({
    name,
    command: process.execPath,
    args: [USERS_MAIN],
    cwd: workDir,
    env,
    cpus: SERVER_CPUS,
    outputFile: join(workDir, `${name}.log`),
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  await waitFor200(`${url}/readyz`, { timeoutMs: 30_000, intervalMs: 20, hasExited: () => child.hasExited(), name });
  return { child, url };
}

const sink = await startSink({ workDir, cpus: undefined });
children.push(sink.child);
const off = await startUsers('tracing-off', undefined);
const on = await startUsers('tracing-on', sink.endpoint);
log(`users ready: tracing off ${off.url}, tracing on ${on.url} → ${sink.endpoint}`);
const ids = { off: await seedUsers(off.url, Number(args.users)), on: await seedUsers(on.url, Number(args.users)) };

// bench/lib/load.ts reads the load generator's /proc/<pid>/stat when its result
// arrives, racing the generator's exit (ENOENT thrown from a stream handler).
// Such a round has no result; it is measured again.
process.on('uncaughtException', (error: NodeJS.ErrnoException) => {
  if (error.code === 'ENOENT' && String(error.path).startsWith('/proc/')) return;
  throw error;
});

async function measure(...args: Parameters<typeof runLoad>): Promise<MeasuredLoad> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runLoad(...args);
    } catch (error) {
      if (attempt >= 3 || !String((error as Error).message).includes('without a result')) throw error;
      log(`${args[1].name}: no result (load generator exit race), measuring again`);
    }
  }
}

const results: Record<'off' | 'on', MeasuredLoad[]> = { off: [], on: [] };
for (let round = 0; round < rounds; round++) {
  const order: Array<'off' | 'on'> = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
  for (const mode of order) {
    const server = mode === 'off' ? off : on;
    const result = await measure(
      {
        url: server.url,
        kind: { type: 'get', pathPrefix: '/users/', ids: ids[mode] },
        connections: Number(args.connections),
        pipelining: 1,
        warmupSeconds: Number(args.warmup),
        durationSeconds: Number(args.duration),
      },
      { name: `round ${round + 1} tracing ${mode}`, serverPid: server.child.pid, cpus: LOAD_CPUS, workDir, repoRoot: REPO_ROOT },
    );
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`tracing ${mode}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    results[mode].push(result);
    log(
      `round ${round + 1} tracing ${mode}: ${fixed(result.serverCpuMicrosPerRequest)} µs CPU/request, ${fixed(result.requestsPerSecond)} req/s`,
    );
  }
}

await Promise.all([off.child.stop(), on.child.stop()]);
const exported = await sink.stop();
const row = (mode: 'off' | 'on'): string[] => {
  const rs = results[mode];
  return [
    mode === 'off' ? 'tracing off (metrics on)' : `tracing on, ratio ${args.ratio}, OTLP to loopback sink`,
    fixed(median(rs.map((r) => r.serverCpuMicrosPerRequest))),
    fixed(median(rs.map((r) => r.requestsPerSecond))),
    fixed(median(rs.map((r) => r.latencyP99Ms)), 1),
    fixed(median(rs.map((r) => r.serverCpuPercent))),
  ];
};
const ratio = median(results.on.map((r) => r.serverCpuMicrosPerRequest)) / median(results.off.map((r) => r.serverCpuMicrosPerRequest));
process.stdout.write(
  `\nGET /users/:id on SQLite, ${rounds} rounds × ${args.duration} s (median), ${args.connections} connections; server ${SERVER_CPUS === undefined ? 'unpinned' : `pinned to CPU ${SERVER_CPUS}`}, load ${LOAD_CPUS === undefined ? 'unpinned' : `pinned to CPU ${LOAD_CPUS}`}; log level warn\n\n` +
    renderTable(['users service', 'CPU µs/request', 'req/s', 'p99 ms', 'server CPU %'], [row('off'), row('on')]) +
    `\n\nCPU per request, tracing on / off: ${ratio.toFixed(2)}× (target ≤ 1.25×)\n` +
    `sink received ${exported.spans} spans in ${exported.requests} OTLP export requests, ${(exported.bytes / 1_048_576).toFixed(1)} MiB\n`,
);
rmSync(workDir, { recursive: true, force: true });
process.exit(0);
