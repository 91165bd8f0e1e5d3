/**
 * The gateway's per-request telemetry calls alone, in-process, without
 * sockets: what `dispatch.ts` and the proxy call for one proxied request
 * (`requests.start` → `upstreams.start` → `call.finish` → `request.end`),
 * once with a telemetry whose tracing is off and once with tracing on (ratio
 * 1.0, exporting to the loopback sink). Rounds alternate between the two
 * sides; each side runs its requests in batches and yields to the event loop
 * in between, so spans are exported as in the server, and its final flush
 * counts. Reports CPU µs per request (process CPU, export included) and the
 * difference. A quick, steadier check while optimising; it runs everything
 * cache-hot, so it understates the real cost about threefold (README): the
 * figure that counts is gateway-tracing.ts's.
 *
 *   node --conditions=@flotilla/source bench/observability/span-path.ts [--rounds 5] [--requests 100000] [--batch 200] [--no-traceparent]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  AnomalyConfig,
  createServiceTelemetry,
  keepTracingContextSynchronous,
  MetricsConfig,
  TracingConfig,
  type ServiceTelemetry,
} from '@flotilla/telemetry';
import { GatewayTelemetry } from '../../packages/gateway/src/proxy/telemetry.ts';
import { installCleanup, killAllChildren } from '../lib/children.ts';
import { fixed, median } from '../lib/table.ts';
import Value from 'typebox/value';
import { settledSpans, startSink } from './sink.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    requests: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '200' },
    'no-traceparent': { type: 'boolean', default: false },
  },
});
const total = Number(args.requests);
const rounds = Number(args.rounds);
const batch = Number(args.batch);
const workDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-span-path-'));
installCleanup(async () => undefined);
keepTracingContextSynchronous();

const request = {
  method: 'GET',
  url: '/api/hello/ada',
  httpVersion: '1.1',
  headers: {
    host: '127.0.0.1:8080',
    'user-agent': 'autocannon',
    ...(args['no-traceparent'] ? {} : { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }),
  },
  socket: { remoteAddress: '127.0.0.1' },
} as unknown as IncomingMessage;
const picked = { origin: 'http://127.0.0.1:9000', done: (): void => undefined };

function telemetryFor(tracing: object): Promise<ServiceTelemetry> {
  return createServiceTelemetry({
    identity: { service: 'gateway', version: 'bench', namespace: 'bench' },
    settings: {
      metrics: Value.Default(MetricsConfig, {}) as never,
      tracing: Value.Default(TracingConfig, tracing) as never,
      anomaly: Value.Default(AnomalyConfig, {}) as never,
    },
  });
}

function run(gateway: GatewayTelemetry, count: number): void {
  for (let i = 0; i < count; i++) {
    const state = gateway.requests.start(request, '/api/**');
    const headers = ['x-request-id', 'abc'];
    const call = gateway.upstreams.start(state, 'tiny', picked, 'GET', '/hello/ada', headers);
    call.respond(200);
    call.finish();
    state.end(200);
  }
}

const cpuMicros = (): number => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

/** CPU µs per request for `count` requests in batches, yielding in between; with tracing, the final flush is counted too. */
async function phase(gateway: GatewayTelemetry, count: number, traced: ServiceTelemetry | undefined): Promise<number> {
  const before = cpuMicros();
  for (let done = 0; done < count; done += batch) {
    run(gateway, batch);
    // Let timers and the exporter's I/O run (a loaded server's event loop does the same between requests).
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await traced?.tracing?.forceFlush();
  return (cpuMicros() - before) / count;
}

const sink = await startSink({ workDir, cpus: undefined });
try {
  const off = await telemetryFor({ enabled: false });
  const on = await telemetryFor({ enabled: true, endpoint: sink.endpoint, sampleRatio: 1 });
  const sides = { off: new GatewayTelemetry(off), on: new GatewayTelemetry(on) };
  // Warm-up: JIT both paths.
  await phase(sides.off, 20_000, undefined);
  await phase(sides.on, 20_000, on);
  const perRound: Record<'off' | 'on', number[]> = { off: [], on: [] };
  for (let round = 0; round < rounds; round++) {
    for (const mode of round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      perRound[mode].push(await phase(sides[mode], total, mode === 'on' ? on : undefined));
    }
  }
  const offUs = median(perRound.off);
  const onUs = median(perRound.on);
  await off.shutdown();
  await on.shutdown();
  const exported = await settledSpans(sink, 1_000);
  console.log(
    `telemetry calls per proxied request, in-process, ${rounds} rounds of ${total} requests per side in batches of ${batch} (medians)${args['no-traceparent'] ? ', no incoming traceparent' : ', sampled traceparent'}`,
  );
  console.log(
    `tracing off: ${fixed(offUs, 2)} µs/request (${perRound.off.map((v) => fixed(v, 1)).join(' / ')}); tracing on: ${fixed(onUs, 2)} µs/request (${perRound.on.map((v) => fixed(v, 1)).join(' / ')}); tracing costs ${fixed(onUs - offUs, 2)} µs/request here`,
  );
  const expected = 2 * (20_000 + rounds * total);
  console.log(
    `sink: ${exported.spans} spans in ${exported.requests} requests (${expected} made${exported.spans < expected ? ': some were DROPPED, the "on" figure is too low' : ''})`,
  );
} finally {
  await sink.stop();
  killAllChildren();
  rmSync(workDir, { recursive: true, force: true });
}
