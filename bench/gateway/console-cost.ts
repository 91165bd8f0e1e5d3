/**
 * What an open console costs the gateway: CPU per proxied request with no
 * console open against the same with one traffic stream open
 * (`GET /admin/traffic/stream`, which keeps the traffic sampler reading the
 * gateway's metrics every interval), in the same run.
 *
 * Two identical gateways (the bundle `npm start` runs, governance off as
 * overhead.ts runs it, metrics on, an admin API key for the stream) proxy
 * `GET /api/hello/<id>` to the same tiny upstream and are loaded at the same
 * time, one load generator each, so both see the same machine (the method of
 * observability/gateway-tracing.ts). Each round one of them has a stream
 * open, read by this process; which one alternates, so a difference between
 * the two processes cancels out. The figure is each gateway's CPU µs per 2xx
 * answer (utime+stime from /proc, bench/lib/load.ts); the ratio stream /
 * none is taken per round, then medianed. `--calibrate` opens no stream: the
 * ratio then shows the method's own noise.
 *
 * Gateways and upstream on CPU 0, load generators on CPU 1.
 *
 *   node bench/gateway/console-cost.ts [--rounds 4] [--duration 10] [--warmup 3] [--prewarm 8] [--connections 32] [--calibrate] [--no-pin]
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { type IncomingMessage, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { canPin, installCleanup, killAllChildren } from '../lib/children.ts';
import { runLoad, type MeasuredLoad } from '../lib/load.ts';
import { httpRequest } from '../lib/net.ts';
import { fixed, median, renderTable } from '../lib/table.ts';
import { bundleGateway, type GatewayBundle } from './bundle.ts';
import { POLICIES_OFF } from './policy-configs.ts';
import { REPO_ROOT, startGateway, startUpstream, type Running } from './servers.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '4' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    prewarm: { type: 'string', default: '8' },
    connections: { type: 'string', default: '32' },
    calibrate: { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
  },
});
const pin = !args['no-pin'] && canPin();
const SERVER_CPU = pin ? '0' : undefined;
const LOAD_CPU = pin ? '1' : undefined;
const rounds = Number(args.rounds);
const workDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-console-'));
const log = (message: string): void => void process.stderr.write(`${message}\n`);
installCleanup(async () => undefined);

/** An admin key for this bench only; the gateway keeps its hash. */
const ADMIN_KEY = 'flk_bench_admin_key_for_the_console_cost_bench';
const ADMIN_YAML = `auth:
  apiKeys:
    - { id: bench-admin, hash: 'sha256:${createHash('sha256').update(ADMIN_KEY).digest('hex')}', roles: [admin] }
metrics: { enabled: true }
tracing: { enabled: false }
`;

interface Side {
  label: string;
  gateway: Running;
  /** CPU µs per request, per round, with a stream open / without. */
  withStream: number[];
  without: number[];
}

/** An open traffic stream, read (and its samples counted) until closed. */
interface OpenStream {
  samples(): number;
  close(): void;
}

function openStream(gateway: Running): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    let samples = 0;
    const req = request(`${gateway.url}/admin/traffic/stream`, { headers: { 'x-api-key': ADMIN_KEY } }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        reject(new Error(`GET /admin/traffic/stream answered ${res.statusCode}`));
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        samples += chunk.split('event: sample\n').length - 1;
      });
      res.on('error', () => undefined);
      resolve({ samples: () => samples, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

async function samplerRunning(gateway: Running): Promise<boolean> {
  const { body } = await httpRequest(`${gateway.url}/metrics`);
  return /^flotilla_gateway_traffic_sampling 1$/m.test(body);
}

let bundle: GatewayBundle | undefined;
const sides: Side[] = [];
const streamed: number[] = [];
try {
  log('bundling the gateway (esbuild)');
  bundle = await bundleGateway();
  const upstream = await startUpstream({ name: 'upstream', cpus: SERVER_CPU, workDir });
  for (const name of ['a', 'b']) {
    const gateway = await startGateway({
      cpus: SERVER_CPU,
      workDir,
      name: `gateway-console-${name}`,
      upstreams: { tiny: upstream.url },
      accessLog: false,
      extraYaml: POLICIES_OFF.extraYaml + ADMIN_YAML,
      main: bundle.file,
    });
    const check = await httpRequest(`${gateway.url}/api/hello/check`);
    if (check.status !== 200) throw new Error(`gateway ${name}: GET /api/hello/check answered ${check.status}: ${check.body}`);
    sides.push({ label: `gateway ${name}`, gateway, withStream: [], without: [] });
  }

  const load = (side: Side, label: string, warmupSeconds: number, durationSeconds: number): Promise<MeasuredLoad> =>
    runLoad(
      {
        url: side.gateway.url,
        kind: { type: 'get', pathPrefix: '/api/hello/', ids: ['ada', 'grace', 'alan', 'edsger'] },
        connections: Number(args.connections),
        pipelining: 1,
        warmupSeconds,
        durationSeconds,
      },
      { name: label, serverPid: side.gateway.child.pid, cpus: LOAD_CPU, workDir, repoRoot: REPO_ROOT },
    );
  if (Number(args.prewarm) > 0) {
    log(`pre-warming both gateways for ${args.prewarm} s`);
    await Promise.all(sides.map((side, i) => load(side, `prewarm-${i}`, 0, Number(args.prewarm))));
  }
  for (let round = 1; round <= rounds; round++) {
    const watched = sides[(round - 1) % 2] as Side;
    const stream = args.calibrate ? undefined : await openStream(watched.gateway);
    if (stream !== undefined && !(await samplerRunning(watched.gateway))) throw new Error('the sampler does not run with a stream open');
    log(`round ${round}/${rounds}: ${stream === undefined ? 'no stream (--calibrate)' : `a traffic stream open on ${watched.label}`}`);
    const runs = await Promise.all(
      sides.map((side) => load(side, `console-${side.label}-${round}`, Number(args.warmup), Number(args.duration))),
    );
    stream?.close();
    if (stream !== undefined) streamed.push(stream.samples());
    sides.forEach((side, i) => {
      const run = runs[i] as MeasuredLoad;
      if (run.non2xx + run.errors + run.timeouts > 0)
        throw new Error(`${side.label}: ${run.non2xx} non-2xx, ${run.errors} errors, ${run.timeouts} timeouts`);
      (side === watched ? side.withStream : side.without).push(run.serverCpuMicrosPerRequest);
      log(
        `  ${side.label}${side === watched && stream !== undefined ? ' (stream open)' : ''}: ${fixed(run.requestsPerSecond)} req/s, ${fixed(run.serverCpuMicrosPerRequest, 1)} µs CPU/request`,
      );
    });
  }
  await Promise.all(sides.map((side) => side.gateway.child.stop()));
  await upstream.child.stop();
} finally {
  killAllChildren();
  bundle?.remove();
}

// Per round: the watched gateway against the other one, loaded at the same time.
const ratios: number[] = [];
for (let round = 0; round < rounds; round++) {
  const watched = sides[round % 2] as Side;
  const other = sides[(round + 1) % 2] as Side;
  const index = Math.floor(round / 2);
  ratios.push((watched.withStream[index] as number) / (other.without[index] as number));
}
const all = (pick: (side: Side) => number[]): number[] => sides.flatMap(pick);
console.log(
  `\nGateway CPU per proxied request, ${args.calibrate ? 'no stream on either side (--calibrate)' : 'one traffic stream open vs none'}: ` +
    `${rounds} round(s) × ${args.duration} s (+${args.warmup} s warm-up; ${args.prewarm} s pre-warm), ${args.connections} connections, ` +
    `governance off, metrics on, access log off, bundled gateway, both gateways loaded at the same time, ` +
    `${pin ? 'gateways + upstream on CPU 0, load on CPU 1' : 'unpinned'} (medians); load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} at the end\n`,
);
console.log(
  renderTable(
    ['console', 'CPU µs/request', 'per round'],
    [
      [
        args.calibrate ? 'none (the watched side)' : 'one traffic stream open',
        fixed(median(all((s) => s.withStream)), 1),
        all((s) => s.withStream)
          .map((v) => v.toFixed(1))
          .join(' / '),
      ],
      [
        'none',
        fixed(median(all((s) => s.without)), 1),
        all((s) => s.without)
          .map((v) => v.toFixed(1))
          .join(' / '),
      ],
    ],
  ),
);
console.log(
  `\nCPU per request, stream open / none: ${fixed(median(ratios), 3)}× (per round ${ratios.map((r) => fixed(r, 3)).join(' / ')})` +
    (streamed.length === 0 ? '' : `; samples received per round: ${streamed.join(' / ')}`),
);
rmSync(workDir, { recursive: true, force: true });
