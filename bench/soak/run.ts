/**
 * Memory over a long run: Flotilla's users service and the Gin + GORM peer
 * (../gin-peer) on the same PostgreSQL, each under the same steady mixed load
 * (GETs of seeded users and POSTs of new ones at fixed rates) for --minutes,
 * sampled every --every seconds. Prints growth after warm-up (first minute
 * after it vs the last minute, and the least-squares slope) and writes the
 * samples as CSV, an SVG chart and a PNG of it (see README.md).
 *
 *   node bench/soak/run.ts [--minutes 10] [--warmup 120] [--every 5] [--get-rate 400] [--post-rate 40]
 *     [--postgres-url URL] [--out DIR] [--no-pin] [--node-options=--max-semi-space-size=…]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { canPin, installCleanup, killAllChildren } from '../lib/children.ts';
import { runLoad, type LoadSpec, type MeasuredLoad } from '../lib/load.ts';
import { createDatabases, dropDatabases, startPostgresServer, type PostgresServer } from '../users/postgres.ts';
import { REPO_ROOT, seedUsers } from '../users/servers.ts';
import { buildGinPeer, startFlotilla, startGin } from '../users/vs-gin-sides.ts';
import { ensureChromium } from '../../scripts/test-services/chromium.ts';
import { writePlot, renderSvg } from './plot.ts';
import { growth, memorySeries, takeSample, toCsv, type Growth, type Sample } from './samples.ts';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '120' },
    every: { type: 'string', default: '5' },
    'get-rate': { type: 'string', default: '400' },
    'post-rate': { type: 'string', default: '40' },
    'postgres-url': { type: 'string' },
    out: { type: 'string', default: fileURLToPath(new URL('./results/', import.meta.url)) },
    'no-pin': { type: 'boolean', default: false },
    'node-options': { type: 'string', default: '' },
  },
});
const minutes = Number(args.minutes);
const warmupSeconds = Number(args.warmup);
const everySeconds = Number(args.every);
const getRate = Number(args['get-rate']);
const postRate = Number(args['post-rate']);
for (const [name, value] of Object.entries({ minutes, warmupSeconds, everySeconds, getRate, postRate }))
  if (!(Number.isFinite(value) && value > 0)) throw new Error(`${name} must be a number > 0`);
if (minutes > 60) throw new Error('--minutes is at most 60: a soak is bounded');
if (warmupSeconds + 60 > minutes * 60) throw new Error('--warmup must leave at least a minute of soak');

const log = (message: string): void => console.log(`[soak] ${message}`);
const pin = !args['no-pin'] && canPin();
const serverCpus = pin ? '0' : undefined;
const loadCpus = pin ? '1' : undefined;
const workDir = mkdtempSync(join(tmpdir(), 'flotilla-soak-'));
const DATABASES = ['soak_flotilla', 'soak_gin'];
let postgres: PostgresServer | undefined;
let adminUrl = args['postgres-url'];

installCleanup(async () => {
  killAllChildren();
  if (adminUrl !== undefined) await dropDatabases(adminUrl, DATABASES).catch(() => {});
  await postgres?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

function loadSpec(url: string, kind: LoadSpec['kind'], rate: number): LoadSpec {
  return { url, kind, connections: 16, pipelining: 1, warmupSeconds: 0, durationSeconds: minutes * 60, rate };
}

function describe(name: string, g: Growth): string {
  return `${name}: ${g.firstMinute.toFixed(1)} MiB after warm-up → ${g.lastMinute.toFixed(1)} MiB in the last minute, slope ${g.slopePerMinute >= 0 ? '+' : ''}${g.slopePerMinute.toFixed(2)} MiB/min`;
}

async function main(): Promise<void> {
  if (adminUrl === undefined) {
    postgres = await startPostgresServer(log);
    adminUrl = postgres.adminUrl;
  }
  const [flotillaDsn, ginDsn] = await createDatabases(adminUrl, DATABASES);
  const ginBin = await buildGinPeer(log);
  const nodeArgs = args['node-options'].split(' ').filter(Boolean);
  const flotilla = await startFlotilla({ name: 'flotilla-users', dsn: flotillaDsn!, cpus: serverCpus, workDir, accessLog: true, nodeArgs });
  const gin = await startGin(ginBin, { name: 'gin-users', dsn: ginDsn!, cpus: serverCpus, workDir, accessLog: true });
  log(`flotilla ready in ${flotilla.readyMs.toFixed(0)} ms, gin in ${gin.readyMs.toFixed(0)} ms; seeding 300 users each`);
  const [flotillaIds, ginIds] = await Promise.all([seedUsers(flotilla.url, 300), seedUsers(gin.url, 300)]);

  const samples: Sample[] = [];
  const startedAt = performance.now();
  const elapsed = (): number => (performance.now() - startedAt) / 1000;
  const sampler = setInterval(() => {
    void takeSample(elapsed(), { pid: flotilla.child.pid, url: flotilla.url }, gin.child.pid).then(
      (sample) => samples.push(sample),
      (error: unknown) => log(`sample failed: ${String(error)}`),
    );
  }, everySeconds * 1000);
  const progress = setInterval(() => {
    const last = samples.at(-1);
    if (last)
      log(
        `${(last.t / 60).toFixed(1)} min: Flotilla RSS ${last.flotillaRssMiB.toFixed(1)} MiB (heap ${last.flotillaHeapUsedMiB.toFixed(1)}/${last.flotillaHeapTotalMiB.toFixed(1)}), Gin ${last.ginRssMiB.toFixed(1)} MiB, load ${loadavg()[0]!.toFixed(1)}`,
      );
  }, 60_000);
  const opts = (name: string, pid: number) => ({ name, serverPid: pid, cpus: loadCpus, workDir, repoRoot: REPO_ROOT });
  const loads: [string, Promise<MeasuredLoad>][] = [
    [
      'Flotilla GET',
      runLoad(
        loadSpec(flotilla.url, { type: 'get', pathPrefix: '/users/', ids: flotillaIds }, getRate),
        opts('flotilla-get', flotilla.child.pid),
      ),
    ],
    [
      'Flotilla POST',
      runLoad(
        loadSpec(flotilla.url, { type: 'post', path: '/users', emailPrefix: 'soak-f' }, postRate),
        opts('flotilla-post', flotilla.child.pid),
      ),
    ],
    ['Gin GET', runLoad(loadSpec(gin.url, { type: 'get', pathPrefix: '/users/', ids: ginIds }, getRate), opts('gin-get', gin.child.pid))],
    [
      'Gin POST',
      runLoad(loadSpec(gin.url, { type: 'post', path: '/users', emailPrefix: 'soak-g' }, postRate), opts('gin-post', gin.child.pid)),
    ],
  ];
  const results = await Promise.all(loads.map(([, load]) => load));
  clearInterval(sampler);
  clearInterval(progress);
  // Once the load stops: what each side keeps when idle again (not part of the growth figures).
  const idle = await takeSample(elapsed(), { pid: flotilla.child.pid, url: flotilla.url }, gin.child.pid);

  console.log('');
  loads.forEach(([name], i) => {
    const r = results[i]!;
    console.log(`${name}: ${r.ok} ok, ${r.non2xx} non-2xx, ${r.errors} errors, p99 ${r.latencyP99Ms.toFixed(1)} ms`);
  });
  // Both loads of a side measure the same server process: its CPU over all its answers.
  const cpuPerRequest = (get: MeasuredLoad, post: MeasuredLoad): number =>
    (get.serverCpuMicrosPerRequest * get.ok) / Math.max(1, get.ok + post.ok);
  const [flotillaGet, flotillaPost, ginGet, ginPost] = results as [MeasuredLoad, MeasuredLoad, MeasuredLoad, MeasuredLoad];
  const flotillaCpu = cpuPerRequest(flotillaGet, flotillaPost);
  const ginCpu = cpuPerRequest(ginGet, ginPost);
  console.log(
    `server CPU per request (GETs and POSTs together): Flotilla ${flotillaCpu.toFixed(0)} µs, Gin ${ginCpu.toFixed(0)} µs (${(flotillaCpu / ginCpu).toFixed(2)}×)`,
  );
  console.log(
    describe(
      'Flotilla RSS',
      growth(samples, warmupSeconds, (s) => s.flotillaRssMiB),
    ),
  );
  console.log(
    describe(
      'Flotilla heap used',
      growth(samples, warmupSeconds, (s) => s.flotillaHeapUsedMiB),
    ),
  );
  console.log(
    describe(
      'Gin RSS',
      growth(samples, warmupSeconds, (s) => s.ginRssMiB),
    ),
  );
  console.log(
    `after the load: Flotilla RSS ${idle.flotillaRssMiB.toFixed(1)} MiB (heap used ${idle.flotillaHeapUsedMiB.toFixed(1)}), Gin ${idle.ginRssMiB.toFixed(1)} MiB`,
  );
  console.log(
    `peak Flotilla RSS ${Math.max(...samples.map((s) => s.flotillaRssMiB)).toFixed(1)} MiB; load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );

  mkdirSync(args.out, { recursive: true });
  // Debian's Chromium renders the SVG charts to PNG (installed by scripts/test-services on first use).
  const chromium = await ensureChromium((line) => log(line)).catch(() => undefined);
  writeFileSync(join(args.out, 'memory.csv'), toCsv(samples));
  const title = `users on PostgreSQL, ${getRate} GET/s + ${postRate} POST/s each, ${minutes} min (dashed: end of warm-up)`;
  const png = writePlot(
    renderSvg({ title, yLabel: 'MiB', markerSeconds: warmupSeconds, series: memorySeries(samples) }),
    join(args.out, 'memory.svg'),
    join(args.out, 'memory.png'),
    chromium,
  );
  log(`samples in ${join(args.out, 'memory.csv')}${png ? `, plot in ${png}` : ' (no Chromium: SVG only)'}`);
}

try {
  await main();
} finally {
  killAllChildren();
  if (adminUrl !== undefined) await dropDatabases(adminUrl, DATABASES).catch(() => {});
  await postgres?.stop();
  rmSync(workDir, { recursive: true, force: true });
}
