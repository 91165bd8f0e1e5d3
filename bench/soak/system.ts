/**
 * The whole system under a steady mixed load through the gateway: gateway,
 * users, orders and greeter (the bundles, the dev namespace with its
 * governance on), users and orders on PostgreSQL. Six fixed-rate streams for
 * --minutes, each run as one-minute segments so every minute has its own
 * p99; every process's RSS and heap sampled every --every seconds. Prints
 * errors, p99 per minute and memory growth after warm-up; writes CSVs and
 * PNG charts (see README.md).
 *
 *   node bench/soak/system.ts [--minutes 10] [--warmup 120] [--every 5] [--scale 1]
 *     [--postgres-url URL] [--out DIR] [--no-pin] [--node-options="<the images' flags>"]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { canPin, installCleanup, killAllChildren } from '../lib/children.ts';
import { runLoad, type LoadKind } from '../lib/load.ts';
import { cpuSeconds } from '../lib/proc-stats.ts';
import { PRODUCTION_NODE_FLAGS } from '../lib/production-flags.ts';
import { median } from '../lib/table.ts';
import { createDatabases, dropDatabases, startPostgresServer, type PostgresServer } from '../users/postgres.ts';
import { REPO_ROOT, seedUsers } from '../users/servers.ts';
import { ensureChromium } from '../../scripts/test-services/chromium.ts';
import { renderSvg, writePlot } from './plot.ts';
import { growth } from './samples.ts';
import { seedOrders, waitForRoutes } from './system-seed.ts';
import {
  latencyCsv,
  memoryCsv,
  p99Series,
  systemMemorySeries,
  takeSystemSample,
  type MinuteOfStream,
  type SystemSample,
} from './system-samples.ts';
import { SYSTEM_PROCESSES, startSystem, type RunningSystem } from './system-servers.ts';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '120' },
    every: { type: 'string', default: '5' },
    scale: { type: 'string', default: '1' },
    'postgres-url': { type: 'string' },
    out: { type: 'string', default: fileURLToPath(new URL('./results/', import.meta.url)) },
    'no-pin': { type: 'boolean', default: false },
    'node-options': { type: 'string', default: PRODUCTION_NODE_FLAGS },
  },
});
const minutes = Number(args.minutes);
const warmupSeconds = Number(args.warmup);
const everySeconds = Number(args.every);
const scale = Number(args.scale);
for (const [name, value] of Object.entries({ minutes, warmupSeconds, everySeconds, scale }))
  if (!(Number.isFinite(value) && value > 0)) throw new Error(`${name} must be a number > 0`);
if (!Number.isInteger(minutes) || minutes > 60) throw new Error('--minutes is a whole number, at most 60: a soak is bounded');
if (warmupSeconds + 60 > minutes * 60) throw new Error('--warmup must leave at least a minute of soak');

const log = (message: string): void => console.log(`[soak] ${message}`);
const pin = !args['no-pin'] && canPin();
const DATABASES = ['soak_users', 'soak_orders'];
const workDir = mkdtempSync(join(tmpdir(), 'flotilla-system-soak-'));
let postgres: PostgresServer | undefined;
let adminUrl = args['postgres-url'];

async function cleanup(): Promise<void> {
  killAllChildren();
  if (adminUrl !== undefined) await dropDatabases(adminUrl, DATABASES).catch(() => {});
  await postgres?.stop();
  rmSync(workDir, { recursive: true, force: true });
}
installCleanup(cleanup);

interface Stream {
  name: string;
  /** Requests per second at --scale 1. */
  rate: number;
  kind: LoadKind;
}

/** What a client of the system does: reads users, their profile (a fan-out to users and orders), orders, greetings; creates users and orders. */
function streams(userIds: string[], orderIds: string[]): Stream[] {
  const orderBodies = userIds.map((userId, i) =>
    JSON.stringify({ userId, items: [{ sku: `SOAK-${i % 50}`, quantity: 1 + (i % 3), unitPrice: 1299 }], currency: 'EUR' }),
  );
  return [
    { name: 'GET /api/users/:id', rate: 200, kind: { type: 'get', pathPrefix: '/api/users/', ids: userIds } },
    {
      name: 'GET /api/users/:id/profile',
      rate: 40,
      kind: { type: 'get', pathPrefix: '/api/users/', ids: userIds.map((id) => `${id}/profile`) },
    },
    { name: 'GET /api/orders/:id', rate: 60, kind: { type: 'get', pathPrefix: '/api/orders/', ids: orderIds } },
    { name: 'GET /api/hello/:name', rate: 60, kind: { type: 'get', pathPrefix: '/api/hello/', ids: ['ada', 'grace', 'linus', 'barbara'] } },
    { name: 'POST /api/users', rate: 20, kind: { type: 'post', path: '/api/users', emailPrefix: 'soak' } },
    { name: 'POST /api/orders', rate: 20, kind: { type: 'post-json', path: '/api/orders', bodies: orderBodies } },
  ];
}

/** One stream as `minutes` back-to-back one-minute loads, so that each minute has its own p99. */
async function runStream(stream: Stream, system: RunningSystem, record: (minute: MinuteOfStream) => void): Promise<void> {
  for (let minute = 0; minute < minutes; minute++) {
    const result = await runLoad(
      {
        url: system.gateway.url,
        kind: stream.kind,
        connections: 8,
        pipelining: 1,
        warmupSeconds: 0,
        durationSeconds: 60,
        rate: stream.rate * scale,
      },
      {
        name: `${stream.name} ${minute}`,
        serverPid: system.gateway.child.pid,
        cpus: pin ? '1' : undefined,
        workDir,
        repoRoot: REPO_ROOT,
      },
    );
    record({
      stream: stream.name,
      minute,
      ok: result.ok,
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      p50Ms: result.latencyP50Ms,
      p99Ms: result.latencyP99Ms,
    });
  }
}

function systemCpuSeconds(system: RunningSystem): Record<string, number> {
  return Object.fromEntries(SYSTEM_PROCESSES.map((name) => [name, cpuSeconds(system[name].child.pid)]));
}

function report(streamList: Stream[], perMinute: MinuteOfStream[]): void {
  const warmupMinutes = Math.ceil(warmupSeconds / 60);
  console.log('');
  console.log('stream | ok | non-2xx | errors | p99 per minute (ms) | p99 after warm-up: median, max');
  for (const stream of streamList) {
    const rows = perMinute.filter((m) => m.stream === stream.name).sort((a, b) => a.minute - b.minute);
    const after = rows.filter((m) => m.minute >= warmupMinutes).map((m) => m.p99Ms);
    const sum = (pick: (m: MinuteOfStream) => number): number => rows.reduce((total, m) => total + pick(m), 0);
    console.log(
      `${stream.name} (${stream.rate * scale}/s) | ${sum((m) => m.ok)} | ${sum((m) => m.non2xx)} | ${sum((m) => m.errors)} | ${rows
        .map((m) => m.p99Ms)
        .join(' ')} | ${median(after)}, ${Math.max(...after)}`,
    );
  }
}

function reportMemory(samples: SystemSample[], idle: SystemSample): void {
  console.log('');
  console.log(`process | RSS first minute after warm-up → last minute (slope) | heap used, same | RSS after the load`);
  for (const name of SYSTEM_PROCESSES) {
    const rss = growth(samples, warmupSeconds, (s) => s.memory[name].rssMiB);
    const heap = growth(samples, warmupSeconds, (s) => s.memory[name].heapUsedMiB);
    const slope = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(2)} MiB/min`;
    console.log(
      `${name} | ${rss.firstMinute.toFixed(1)} → ${rss.lastMinute.toFixed(1)} MiB (${slope(rss.slopePerMinute)}) | ${heap.firstMinute.toFixed(1)} → ${heap.lastMinute.toFixed(1)} MiB (${slope(heap.slopePerMinute)}) | ${idle.memory[name].rssMiB.toFixed(1)} MiB`,
    );
  }
}

async function main(): Promise<void> {
  if (adminUrl === undefined) {
    postgres = await startPostgresServer(log);
    adminUrl = postgres.adminUrl;
  }
  const [usersDsn, ordersDsn] = await createDatabases(adminUrl, DATABASES);
  const nodeArgs = args['node-options'].split(' ').filter(Boolean);
  log(`starting gateway, users, orders, greeter (${nodeArgs.join(' ') || 'Node defaults'})${pin ? ' on CPU 0, load on CPU 1' : ''}`);
  const system = await startSystem({ dsn: { users: usersDsn!, orders: ordersDsn! }, workDir, cpus: pin ? '0' : undefined, nodeArgs });
  await waitForRoutes(system.gateway.url);
  const userIds = await seedUsers(`${system.gateway.url}/api`, 300);
  const orderIds = await seedOrders(system.gateway.url, userIds);
  log(`seeded ${userIds.length} users and ${orderIds.length} orders through the gateway; ${minutes} min of load`);

  const streamList = streams(userIds, orderIds);
  const samples: SystemSample[] = [];
  const perMinute: MinuteOfStream[] = [];
  const startedAt = performance.now();
  const elapsed = (): number => (performance.now() - startedAt) / 1000;
  const sampler = setInterval(() => {
    void takeSystemSample(elapsed(), system).then(
      (sample) => samples.push(sample),
      (error: unknown) => log(`sample failed: ${String(error)}`),
    );
  }, everySeconds * 1000);
  const cpuBefore = systemCpuSeconds(system);
  await Promise.all(
    streamList.map((stream) =>
      runStream(stream, system, (minute) => {
        perMinute.push(minute);
        if (minute.non2xx + minute.errors > 0)
          log(`${minute.stream}, minute ${minute.minute}: ${minute.non2xx} non-2xx, ${minute.errors} errors`);
      }),
    ),
  );
  const cpuAfter = systemCpuSeconds(system);
  clearInterval(sampler);
  const idle = await takeSystemSample(elapsed(), system);

  report(streamList, perMinute);
  reportMemory(samples, idle);
  const answered = perMinute.reduce((total, m) => total + m.ok, 0);
  const cpu = SYSTEM_PROCESSES.map((name) => `${name} ${((1e6 * (cpuAfter[name]! - cpuBefore[name]!)) / answered).toFixed(0)}`);
  console.log(`\nCPU µs per answered request (all streams): ${cpu.join(', ')}`);
  console.log(
    `load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );

  mkdirSync(args.out, { recursive: true });
  // Debian's Chromium renders the SVG charts to PNG (installed by scripts/test-services on first use).
  const chromium = await ensureChromium((line) => log(line)).catch(() => undefined);
  writeFileSync(join(args.out, 'system-memory.csv'), memoryCsv(samples));
  writeFileSync(join(args.out, 'system-latency.csv'), latencyCsv(perMinute));
  const what = `the whole system through the gateway on PostgreSQL, ${minutes} min`;
  const memoryPng = writePlot(
    renderSvg({ title: `Memory: ${what}`, yLabel: 'MiB', markerSeconds: warmupSeconds, series: systemMemorySeries(samples) }),
    join(args.out, 'system-memory.svg'),
    join(args.out, 'system-memory.png'),
    chromium,
  );
  const p99Png = writePlot(
    renderSvg({ title: `p99 per minute: ${what}`, yLabel: 'ms', markerSeconds: warmupSeconds, series: p99Series(perMinute) }),
    join(args.out, 'system-p99.svg'),
    join(args.out, 'system-p99.png'),
    chromium,
  );
  log(`series in ${args.out}${memoryPng && p99Png ? '; charts system-memory.png and system-p99.png' : ' (no Chromium: SVG only)'}`);
}

try {
  await main();
} finally {
  await cleanup();
}
