/**
 * The cost of the gateway's governance: the same gateway code and the same
 * tiny upstream, once with every policy off and once with auth (HS256 JWT +
 * role + signed identity header), a rate limit that never refuses, and
 * retries, breaker and bulkhead on every upstream call; optionally (--redis)
 * a third gateway whose limiter keeps its buckets in Redis. Every gateway and
 * the upstream share CPU 0, the load generator runs on CPU 1, and every
 * request carries the same bearer token, so the requests are byte for byte
 * the same on every side. The figure is the gateway's CPU µs per 2xx answer;
 * the ratio to "off" is taken per round (same moment of the machine), then
 * medianed.
 *
 * `--breakdown` adds one gateway per part (auth, rate limit, guards,
 * shedding alone), to see which part costs what. The gateways run from an
 * esbuild bundle of the sources, as `npm start` runs them (bundle.ts);
 * `--tsx` runs src/main.ts through tsx instead.
 *
 *   node --import tsx bench/gateway/policies.ts [--rounds 3] [--duration 8] [--connections 32] [--redis] [--breakdown] [--tsx] [--access-log] [--no-pin]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startServices } from '../../scripts/test-services/index.js';
import { installCleanup, killAllChildren } from '../lib/children.js';
import { runLoad, type MeasuredLoad } from '../lib/load.js';
import { httpRequest } from '../lib/net.js';
import { fixed, median, renderTable } from '../lib/table.js';
import { bundleGateway, type GatewayBundle } from './bundle.js';
import { benchToken, POLICIES_OFF, policiesOn, SINGLE_PARTS, type PolicyVariant } from './policy-configs.js';
import { REPO_ROOT, startGateway, startUpstream, type Running } from './servers.js';

const TARGET_RATIO = 1.3;

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    redis: { type: 'boolean', default: false },
    breakdown: { type: 'boolean', default: false },
    tsx: { type: 'boolean', default: false },
    'access-log': { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const pin = !args['no-pin'];
const SERVER_CPU = pin ? '0' : undefined;
const LOAD_CPU = pin ? '1' : undefined;
const rounds = Number(args.rounds);
const workDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-gateway-policies-'));
const log = (message: string): void => void process.stderr.write(`${message}\n`);
const token = benchToken();
const authorization = { authorization: `Bearer ${token}` };

interface Target {
  variant: PolicyVariant;
  gateway: Running;
  runs: MeasuredLoad[];
  /** Per round: this target's CPU µs/request over "off"'s in the same round. */
  ratios: number[];
  /** From the gateway's /metrics at the end (--redis only): decisions made, and Redis calls that failed (decided by the local fallback). */
  limiter?: { decisions: number; storeErrors: number };
}

let stopRedis: (() => Promise<void>) | undefined;
installCleanup(async () => stopRedis?.());

/** A Redis for the shared-store row: the harness's if it runs us, else a private one from scripts/test-services. */
async function redisUrl(): Promise<string> {
  const given = process.env.FLOTILLA_TEST_REDIS_URL;
  if (given !== undefined) return given;
  log('starting Redis (scripts/test-services)');
  const services = await startServices({ only: ['redis'], log: (message) => log(`  ${message}`) });
  stopRedis = () => services.stop();
  const url = services.env.FLOTILLA_TEST_REDIS_URL;
  if (url === undefined) throw new Error('test-services gave no FLOTILLA_TEST_REDIS_URL');
  return url;
}

/** The limiter's own count of decisions and of failed Redis calls, from the gateway's /metrics. */
async function limiterCounts(gateway: Running): Promise<{ decisions: number; storeErrors: number }> {
  const { body } = await httpRequest(`${gateway.url}/metrics`);
  const sum = (pattern: RegExp): number => [...body.matchAll(pattern)].reduce((total, match) => total + Number(match[1]), 0);
  return { decisions: sum(/^flotilla_rate_limit_decisions_total\{[^}]*\} (\S+)$/gm), storeErrors: sum(/^flotilla_rate_limit_store_errors_total (\S+)$/gm) };
}

/** Before measuring: every side answers the token with 200; where auth is on, no token gets 401; where a limit is on, answers carry RateLimit. */
async function sanityCheck(target: Target): Promise<void> {
  const { label, parts } = target.variant;
  const ok = await httpRequest(`${target.gateway.url}/api/hello/check`, { headers: authorization });
  if (ok.status !== 200) throw new Error(`${label}: the bench token got ${ok.status}: ${ok.body}`);
  if ((ok.headers['ratelimit'] !== undefined) !== (parts.rateLimit !== false)) throw new Error(`${label}: RateLimit header ${ok.headers['ratelimit'] === undefined ? 'missing' : 'present'}`);
  const anonymous = await httpRequest(`${target.gateway.url}/api/hello/check`);
  if (anonymous.status !== (parts.auth ? 401 : 200)) throw new Error(`${label}: a request without a token got ${anonymous.status}`);
}

const targets: Target[] = [];
let bundle: GatewayBundle | undefined;
try {
  if (!args.tsx) {
    log('bundling the gateway (esbuild)');
    bundle = await bundleGateway();
  }
  const upstream = await startUpstream({ name: 'upstream', cpus: SERVER_CPU, workDir });
  const variants = [POLICIES_OFF, policiesOn({ kind: 'local' })];
  if (args.redis) {
    variants.push(policiesOn({ kind: 'redis', url: await redisUrl() }));
  }
  if (args.breakdown) variants.push(...SINGLE_PARTS);
  for (const variant of variants) {
    const gateway = await startGateway({
      cpus: SERVER_CPU,
      workDir,
      name: variant.name,
      upstreams: { tiny: upstream.url },
      accessLog: args['access-log'],
      ...(variant.routeYaml === undefined ? {} : { routeYaml: variant.routeYaml }),
      extraYaml: variant.extraYaml,
      ...(bundle === undefined ? {} : { main: bundle.file }),
    });
    const target: Target = { variant, gateway, runs: [], ratios: [] };
    await sanityCheck(target);
    targets.push(target);
  }
  for (let round = 1; round <= rounds; round++) {
    // Rotate the order each round so a drift of the machine does not always hit the same side.
    const order = targets.map((_, i) => targets[(i + round - 1) % targets.length] as Target);
    log(`round ${round}/${rounds}: ${order.map((t) => t.variant.name).join(', ')}`);
    for (const target of order) {
      const run = await runLoad(
        { url: target.gateway.url, kind: { type: 'get', pathPrefix: '/api/hello/', ids: ['ada', 'grace', 'alan', 'edsger'] }, headers: authorization, connections: Number(args.connections), pipelining: 1, warmupSeconds: Number(args.warmup), durationSeconds: Number(args.duration) },
        { name: `${target.variant.name}-${round}`, serverPid: target.gateway.child.pid, cpus: LOAD_CPU, workDir, repoRoot: REPO_ROOT },
      );
      target.runs.push(run);
      log(`  ${target.variant.name}: ${fixed(run.requestsPerSecond)} req/s, ${fixed(run.serverCpuMicrosPerRequest, 1)} µs CPU/request, non-2xx ${run.non2xx}, errors ${run.errors + run.timeouts}`);
    }
    const off = (targets[0] as Target).runs[round - 1] as MeasuredLoad;
    for (const target of targets) target.ratios.push((target.runs[round - 1] as MeasuredLoad).serverCpuMicrosPerRequest / off.serverCpuMicrosPerRequest);
  }
  for (const target of targets) {
    if (target.variant.parts.rateLimit !== false && target.variant.parts.rateLimit.kind === 'redis') target.limiter = await limiterCounts(target.gateway);
    await target.gateway.child.stop();
  }
  await upstream.child.stop();
} finally {
  killAllChildren();
  bundle?.remove();
  await stopRedis?.();
}

const cpu = (target: Target): number => median(target.runs.map((r) => r.serverCpuMicrosPerRequest));
console.log(`\nGateway policies on vs off, ${rounds} round(s) of ${args.duration} s (+${args.warmup} s warm-up), ${args.connections} connections, access log ${args['access-log'] ? 'on' : 'off'}, gateway ${args.tsx ? 'src through tsx' : 'bundled'}, ${pin ? 'gateways+upstream on CPU 0, load on CPU 1' : 'unpinned'} (medians)\n`);
console.log(
  renderTable(
    ['target', 'req/s', 'p50 ms', 'p99 ms', 'gateway CPU %', 'CPU µs/request', 'per round', '× off (CPU)', 'non-2xx+errors'],
    targets.map((target) => [
      target.variant.label,
      fixed(median(target.runs.map((r) => r.requestsPerSecond))),
      fixed(median(target.runs.map((r) => r.latencyP50Ms)), 2),
      fixed(median(target.runs.map((r) => r.latencyP99Ms)), 2),
      fixed(median(target.runs.map((r) => r.serverCpuPercent))),
      fixed(cpu(target), 1),
      target.runs.map((r) => fixed(r.serverCpuMicrosPerRequest)).join(' / '),
      `${fixed(median(target.ratios), 2)} (${target.ratios.map((r) => fixed(r, 2)).join(' / ')})`,
      String(target.runs.reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0)),
    ]),
  ),
);
console.log('');
for (const target of targets.slice(1)) {
  const ratio = median(target.ratios);
  const { auth, rateLimit, guards } = target.variant.parts;
  // The target is about everything on together; a single part's ratio is for reading only.
  const verdict = auth && rateLimit !== false && guards ? ` (target <= ${TARGET_RATIO}x: ${ratio <= TARGET_RATIO ? 'met' : 'MISSED'})` : '';
  console.log(`${target.variant.label}: ${fixed(cpu(target), 1)} vs ${fixed(cpu(targets[0] as Target), 1)} µs CPU/request -> ${fixed(ratio, 2)}x${verdict}`);
  if (target.limiter !== undefined) {
    const { decisions, storeErrors } = target.limiter;
    console.log(`  limiter: ${decisions} decisions (warm-ups included), ${storeErrors} failed Redis calls${storeErrors === 0 ? ': Redis decided every request' : ' (decided by the local fallback: the Redis row understates the cost)'}`);
  }
}
if (args.json !== undefined) writeFileSync(args.json, JSON.stringify(targets.map((t) => ({ label: t.variant.label, runs: t.runs, ratios: t.ratios, limiter: t.limiter })), null, 2));
rmSync(workDir, { recursive: true, force: true });
