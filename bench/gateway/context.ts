/**
 * Does the gateway's remaining Node 20 context workaround still pay on this
 * Node? (b) `keepTracingContextSynchronous()` (packages/telemetry/src/tracing):
 * OpenTelemetry's active context kept synchronous instead of the
 * AsyncLocalStorage context manager (without it the kit also registers the
 * undici instrumentation). On Node 20 an AsyncLocalStorage in use ran an
 * async_hooks hook on every async resource of the process; from Node 24
 * AsyncLocalStorage rides on AsyncContextFrame instead. The call is in
 * packages/gateway/src/main.ts.
 *
 * The method is policies.ts's (bench/gateway/README.md, "Method: twins, side
 * by side, at a fixed rate"): the gateway as an esbuild bundle of the sources
 * (scripts/bundle.mjs's settings, as bundle.ts), built from
 * main-context-variant.ts with and without (b); governance off
 * (policy-configs.ts's POLICIES_OFF), access log off, metrics on. Each
 * variant has a **twin with (b)** (what main.ts runs), started with it and
 * only ever loaded at the same time as it, one load generator each, at the
 * same fixed rate (`--rate`, default 800 req/s per gateway, open loop);
 * gateways and upstream on CPU 0, load (and the OTLP sink) on CPU 1. The
 * figure is each gateway's CPU µs per 2xx answer (/proc), the ratio is taken
 * per pair and medianed over the rounds; a pair where either side was served
 * under 95 % of the offered rate is shown in brackets and not counted.
 *
 * Pairs (variant vs its twin with (b)):
 *  - tracing on (ratio `--ratio`, default 1.0, OTLP http/protobuf to the
 *    loopback sink of bench/observability): without (b).
 *  - `--calibrate` adds, per tracing mode, a variant with (b) too (twins
 *    identical): the method's own bias and noise. Tracing off (`--tracing
 *    off|both`) has only this pair: (b) does nothing without tracing.
 * Every request carries a sampled W3C `traceparent` (`--no-traceparent`:
 * none), as bench/observability/gateway-tracing.ts sends it.
 *
 *   node bench/gateway/context.ts [--rounds 3] [--duration 8] [--warmup 3] [--prewarm 5] [--rate 800] [--connections 32] [--tracing on|off|both] [--ratio 1] [--no-traceparent] [--calibrate] [--no-pin] [--json FILE]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { AsyncLocalStorage } from 'node:async_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleFromSource } from './bundle.ts';
import { settledSpans, startSink, type OtlpSink } from '../observability/sink.ts';
import { canPin, installCleanup, killAllChildren } from '../lib/children.ts';
import { runLoad, type MeasuredLoad } from '../lib/load.ts';
import { httpRequest } from '../lib/net.ts';
import { fixed, median, renderTable } from '../lib/table.ts';
import { POLICIES_OFF } from './policy-configs.ts';
import { REPO_ROOT, startGateway, startUpstream, type Running } from './servers.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '3' },
    prewarm: { type: 'string', default: '5' },
    rate: { type: 'string', default: '800' },
    connections: { type: 'string', default: '32' },
    tracing: { type: 'string', default: 'on' },
    ratio: { type: 'string', default: '1' },
    'no-traceparent': { type: 'boolean', default: false },
    calibrate: { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
if (!['both', 'on', 'off'].includes(args.tracing)) throw new Error(`--tracing on|off|both, not ${args.tracing}`);
if (args.tracing === 'off' && !args.calibrate)
  throw new Error('--tracing off has nothing to compare without --calibrate: (b) does nothing with tracing off');
const pin = !args['no-pin'] && canPin();
const SERVER_CPU = pin ? '0' : undefined;
const LOAD_CPU = pin ? '1' : undefined;
const rounds = Number(args.rounds);
const rate = Number(args.rate);
if (!(rate > 0)) throw new Error('--rate must be above 0: both sides of a pair are offered the same fixed rate');
const workDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-gateway-context-'));
const log = (message: string): void => void process.stderr.write(`${message}\n`);
/** A sampled parent from a traced client (the same as bench/observability/gateway-tracing.ts sends). */
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const headers: Record<string, string> = args['no-traceparent'] ? {} : { traceparent: TRACEPARENT };
const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
// Node 20's AsyncLocalStorage has _enable/_propagate (async_hooks); the AsyncContextFrame one has neither.
const alsKind = '_propagate' in AsyncLocalStorage.prototype ? 'async_hooks' : 'AsyncContextFrame';

/** Whether the variant calls (b) keepTracingContextSynchronous(); main.ts does. */
const WITH_B = true;
const variantKey = (syncTracing: boolean): string => `b-${syncTracing ? 'on' : 'off'}`;

interface PairSpec {
  key: string;
  label: string;
  /** (b) keepTracingContextSynchronous() */
  syncTracing: boolean;
  traced: boolean;
}

/** A variant and its own twin with (b), started together and only ever loaded together. */
interface Pair {
  spec: PairSpec;
  gateway: Running;
  twin: Running;
  runs: MeasuredLoad[];
  base: MeasuredLoad[];
}

function pairSpecs(): PairSpec[] {
  const specs: PairSpec[] = [];
  const modes = args.tracing === 'both' ? [false, true] : [args.tracing === 'on'];
  for (const traced of modes) {
    const t = traced ? 'traced' : 'plain';
    if (args.calibrate)
      specs.push({ key: `calibrate-${t}`, label: 'with (b), a second process (--calibrate)', syncTracing: WITH_B, traced });
    // (b) does nothing with tracing off: "without (b)" would run the same code as its twin there.
    if (traced) specs.push({ key: `no-b-${t}`, label: 'without (b) keepTracingContextSynchronous()', syncTracing: false, traced });
  }
  return specs;
}

const VARIANT_MAIN = fileURLToPath(new URL('./main-context-variant.ts', import.meta.url));
const bundles = new Map<string, string>();

/** main-context-variant.ts as one ESM file, bundle.ts's settings, with the (b) switch fixed by `define`. */
async function bundleVariant(syncTracing: boolean): Promise<string> {
  const key = variantKey(syncTracing);
  const known = bundles.get(key);
  if (known !== undefined) return known;
  // Under node_modules/.cache so that the external packages resolve from the repository's node_modules.
  const dir = join(REPO_ROOT, 'node_modules', '.cache', 'flotilla-bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `gateway-context-${key}-${process.pid}.mjs`);
  bundles.set(key, file);
  await bundleFromSource(VARIANT_MAIN, file, {
    define: { 'process.env.FLOTILLA_BENCH_KEEP_TRACING_CONTEXT_SYNCHRONOUS': JSON.stringify(syncTracing ? 'on' : 'off') },
  });
  return file;
}

const removeBundles = (): void => {
  for (const file of bundles.values()) rmSync(file, { force: true });
};

/** Requests the gateway answered on its routed path, from its own RED histogram (warm-ups and checks included). */
async function routedRequests(gateway: Running): Promise<number> {
  const { body } = await httpRequest(`${gateway.url}/metrics`);
  return [...body.matchAll(/^http_server_request_duration_seconds_count\{[^}]*http_route="\/api\/\*\*"[^}]*\} (\S+)$/gm)].reduce(
    (sum, match) => sum + Number(match[1]),
    0,
  );
}

const load = (gateway: Running, name: string, warmupSeconds: number, durationSeconds: number): Promise<MeasuredLoad> =>
  runLoad(
    {
      url: gateway.url,
      kind: { type: 'get', pathPrefix: '/api/hello/', ids: ['ada', 'grace', 'alan', 'edsger'] },
      headers,
      connections: Number(args.connections),
      pipelining: 1,
      warmupSeconds,
      durationSeconds,
      rate,
    },
    { name, serverPid: gateway.child.pid, cpus: LOAD_CPU, workDir, repoRoot: REPO_ROOT },
  );

const describe = (run: MeasuredLoad): string =>
  `${fixed(run.requestsPerSecond)} req/s, ${fixed(run.serverCpuMicrosPerRequest, 1)} µs CPU/request, non-2xx ${run.non2xx}, errors ${run.errors + run.timeouts}`;

// The baseline should be what production runs: say so if main.ts no longer makes the call.
const mainSource = readFileSync(join(REPO_ROOT, 'packages/gateway/src/main.ts'), 'utf8');
if (!/^\s*keepTracingContextSynchronous\(\);/m.test(mainSource))
  log('note: packages/gateway/src/main.ts no longer calls keepTracingContextSynchronous(); the "with (b)" twins still do');

let sink: OtlpSink | undefined;
installCleanup(async () => {
  removeBundles();
  await sink?.stop();
});
const pairs: Pair[] = [];
const loadAtStart = loadAverage();
let exported: { spans: number; routed: number } | undefined;
try {
  const specs = pairSpecs();
  const variants = [...new Set([WITH_B, ...specs.map((s) => s.syncTracing)])];
  log(`bundling the gateway (esbuild), ${variants.length} variant(s)`);
  for (const syncTracing of variants) await bundleVariant(syncTracing);
  const anyTraced = specs.some((s) => s.traced);
  if (anyTraced) sink = await startSink({ workDir, cpus: LOAD_CPU });
  const upstream = await startUpstream({ name: 'upstream', cpus: SERVER_CPU, workDir });
  const tracingYaml = (traced: boolean): string =>
    `${
      traced && sink !== undefined
        ? `tracing: { enabled: true, endpoint: '${sink.endpoint}', sampleRatio: ${Number(args.ratio)} }\n`
        : 'tracing: { enabled: false }\n'
    }metrics: { enabled: true }\n`;
  const start = async (name: string, syncTracing: boolean, traced: boolean): Promise<Running> => {
    const gateway = await startGateway({
      cpus: SERVER_CPU,
      workDir,
      name,
      upstreams: { tiny: upstream.url },
      accessLog: false,
      extraYaml: POLICIES_OFF.extraYaml + tracingYaml(traced),
      main: await bundleVariant(syncTracing),
    });
    const check = await httpRequest(`${gateway.url}/api/hello/check`, { headers });
    if (check.status !== 200) throw new Error(`${name}: GET /api/hello/check answered ${check.status}: ${check.body}`);
    // The entry's first line says whether it made the call: proof that this process runs the intended variant.
    const expected = `keepTracingContextSynchronous=${syncTracing ? 'on' : 'off'}`;
    if (!readFileSync(join(workDir, `${name}.log`), 'utf8').includes(`flotilla-bench context workarounds: ${expected}`))
      throw new Error(`${name}: its log does not say ${expected}`);
    return gateway;
  };
  for (const spec of specs) {
    const [gateway, twin] = await Promise.all([
      start(`ctx-${spec.key}`, spec.syncTracing, spec.traced),
      start(`ctx-${spec.key}-twin`, WITH_B, spec.traced),
    ]);
    pairs.push({ spec, gateway, twin, runs: [], base: [] });
  }
  // Proof that export works before measuring: every traced gateway's check request sent its two spans (SERVER + CLIENT).
  const tracedGateways = pairs.filter((p) => p.spec.traced).length * 2;
  if (sink !== undefined && tracedGateways > 0 && !args['no-traceparent']) {
    const first = await settledSpans(sink, 1_500, 15_000);
    if (first.spans < 2 * tracedGateways)
      throw new Error(
        `the traced gateways exported ${first.spans} span(s) for their ${tracedGateways} check requests (want ${2 * tracedGateways})`,
      );
    log(`sink got ${first.spans} span(s) for the ${tracedGateways} traced gateways' check requests`);
  }
  // Each pair's hot path compiled and optimised before anything is measured; one pair at a time, so each gets the rate it is offered.
  if (Number(args.prewarm) > 0) {
    log(`pre-warming each pair for ${args.prewarm} s`);
    for (const pair of pairs)
      await Promise.all([
        load(pair.gateway, `prewarm-${pair.spec.key}`, 0, Number(args.prewarm)),
        load(pair.twin, `prewarm-${pair.spec.key}-twin`, 0, Number(args.prewarm)),
      ]);
  }
  for (let round = 1; round <= rounds; round++) {
    // Rotate the order each round so a drift of the machine does not always hit the same pair.
    const order = pairs.map((_, i) => pairs[(i + round - 1) % pairs.length] as Pair);
    log(
      `round ${round}/${rounds} (load average ${loadAverage()}): each variant beside its twin with (b): ${order.map((p) => p.spec.key).join(', ')}`,
    );
    for (const pair of order) {
      const [base, run] = await Promise.all([
        load(pair.twin, `${pair.spec.key}-twin-${round}`, Number(args.warmup), Number(args.duration)),
        load(pair.gateway, `${pair.spec.key}-${round}`, Number(args.warmup), Number(args.duration)),
      ]);
      pair.runs.push(run);
      pair.base.push(base);
      log(`  ${pair.spec.key}: ${describe(run)}; its twin: ${describe(base)}`);
    }
  }
  const traced = pairs.filter((p) => p.spec.traced);
  const routed = (await Promise.all(traced.flatMap((p) => [routedRequests(p.gateway), routedRequests(p.twin)]))).reduce((a, b) => a + b, 0);
  // Stopping the gateways flushes the traced ones' last batches.
  await Promise.all(pairs.flatMap((p) => [p.gateway.child.stop(), p.twin.child.stop()]));
  if (sink !== undefined && traced.length > 0) exported = { spans: (await settledSpans(sink)).spans, routed };
  await upstream.child.stop();
  await sink?.stop();
  sink = undefined;
} finally {
  killAllChildren();
  removeBundles();
}
const loadAtEnd = loadAverage();

const servedEnough = (run: MeasuredLoad): boolean => run.requestsPerSecond >= 0.95 * rate;
const countedPair = (pair: Pair, i: number): boolean =>
  servedEnough(pair.runs[i] as MeasuredLoad) && servedEnough(pair.base[i] as MeasuredLoad);
const ratiosOf = (pair: Pair): number[] =>
  pair.runs.map((run, i) => run.serverCpuMicrosPerRequest / (pair.base[i] as MeasuredLoad).serverCpuMicrosPerRequest);
const countedRatios = (pair: Pair): number[] => ratiosOf(pair).filter((_, i) => countedPair(pair, i));
const cpu = (pair: Pair, side: 'runs' | 'base'): number =>
  median(pair[side].filter((_, i) => countedPair(pair, i)).map((r) => r.serverCpuMicrosPerRequest));
const bracket = (value: string, counted: boolean): string => (counted ? value : `(${value})`);
const errorsOf = (runs: MeasuredLoad[]): number => runs.reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0);

console.log(
  `\nGateway context workaround, ${process.version} (AsyncLocalStorage on ${alsKind}): (b) keepTracingContextSynchronous(). ` +
    `Each variant loaded at the same time as its own twin with (b), as main.ts; ${rounds} round(s) of ${args.duration} s (+${args.warmup} s warm-up; ${args.prewarm} s pre-warm per pair), ` +
    `${rate} req/s offered to each (open loop) over ${args.connections} connections, governance off, access log off, metrics on, bundled gateway, ` +
    `${args['no-traceparent'] ? 'no incoming traceparent' : 'sampled traceparent on every request'}, ${pin ? 'gateways + upstream on CPU 0, load + sink on CPU 1' : 'unpinned'} (medians of counted rounds)\n`,
);
console.log(
  renderTable(
    [
      'variant',
      'tracing',
      'req/s',
      'p50 ms',
      'p99 ms',
      'CPU µs/request',
      'per round',
      'twin, with (b)',
      'per round',
      '× twin (per round)',
      'non-2xx+errors',
    ],
    pairs.map((pair) => [
      pair.spec.label,
      pair.spec.traced ? `on, ratio ${args.ratio}` : 'off',
      fixed(median(pair.runs.map((r) => r.requestsPerSecond))),
      fixed(median(pair.runs.map((r) => r.latencyP50Ms)), 2),
      fixed(median(pair.runs.map((r) => r.latencyP99Ms)), 2),
      fixed(cpu(pair, 'runs'), 1),
      pair.runs.map((r, i) => bracket(fixed(r.serverCpuMicrosPerRequest), countedPair(pair, i))).join(' / '),
      fixed(cpu(pair, 'base'), 1),
      pair.base.map((r, i) => bracket(fixed(r.serverCpuMicrosPerRequest), countedPair(pair, i))).join(' / '),
      `${fixed(median(countedRatios(pair)), 3)} (${ratiosOf(pair)
        .map((r, i) => bracket(fixed(r, 3), countedPair(pair, i)))
        .join(' / ')})`,
      String(errorsOf(pair.runs) + errorsOf(pair.base)),
    ]),
  ),
);
console.log('');
for (const pair of pairs) {
  const ratio = median(countedRatios(pair));
  // Like the ratio, the difference is taken per pair, then medianed.
  const delta = median(
    pair.runs
      .map((run, i) => run.serverCpuMicrosPerRequest - (pair.base[i] as MeasuredLoad).serverCpuMicrosPerRequest)
      .filter((_, i) => countedPair(pair, i)),
  );
  console.log(
    `${pair.spec.label}, tracing ${pair.spec.traced ? 'on' : 'off'}: ${fixed(cpu(pair, 'runs'), 1)} vs ${fixed(cpu(pair, 'base'), 1)} µs CPU/request on its twin with (b) -> ${fixed(ratio, 3)}x (${delta >= 0 ? '+' : ''}${fixed(delta, 1)} µs, median per pair)`,
  );
}
const left = pairs.reduce((sum, pair) => sum + pair.runs.filter((_, i) => !countedPair(pair, i)).length, 0);
if (left > 0)
  console.log(`(${left} pair(s) in brackets left out: a gateway served under 95 % of the ${rate} req/s offered, starved by other jobs)`);
if (exported !== undefined)
  console.log(
    `sink received ${exported.spans} spans for ${exported.routed} routed requests through the traced gateways (${fixed(exported.spans / Math.max(1, exported.routed), 2)} spans per request; 2 expected: SERVER + CLIENT)`,
  );
console.log(`load average (1/5/15 min): ${loadAtStart} at start, ${loadAtEnd} at the end`);
if (args.json !== undefined)
  writeFileSync(
    args.json,
    JSON.stringify(
      {
        node: process.version,
        alsKind,
        loadAtStart,
        loadAtEnd,
        exported,
        pairs: pairs.map((p) => ({ ...p.spec, runs: p.runs, base: p.base, ratios: ratiosOf(p) })),
      },
      null,
      2,
    ),
  );
rmSync(workDir, { recursive: true, force: true });
