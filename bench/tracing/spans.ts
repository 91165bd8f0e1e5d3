/**
 * CPU per span of the kit's span pipeline against the OpenTelemetry SDK
 * (TracerProvider + BatchSpanProcessor + exporter-trace-otlp-proto), both
 * exporting OTLP http/protobuf to the loopback sink of bench/observability
 * (a process of its own that counts requests, bytes and spans and answers
 * 200). The workload (workload.ts) is a SERVER span with ten attributes and
 * one CLIENT child, at sample ratio 1 and 0.1; `none` (no provider) is the
 * workload without tracing, so "net" figures are what tracing adds.
 *
 * Every measurement runs in a fresh process (span-worker.ts), so neither
 * pipeline's code shares a JIT or a heap with the other's; each round runs
 * every pipeline once, in a rotating order, and a figure is the median over
 * rounds. A span sampled but not received by the sink (dropped from a full
 * queue) is flagged: it would make its pipeline look cheaper. Then the
 * encoding alone: one batch of 512 spans to an export body.
 * Workers on CPU 0, the sink on CPU 1 (`--no-pin` to turn off).
 *
 *   node bench/tracing/spans.ts [--rounds 5] [--requests 102400] [--warmup 20480] [--batches 1000] [--no-pin]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { canPin, installCleanup, killAllChildren, spawnChild } from '../lib/children.ts';
import { fixed, median, renderTable } from '../lib/table.ts';
import { startSink } from '../observability/sink.ts';
import { SPANS_PER_BATCH } from './encoders.ts';
import { PIPELINES, type PipelineName } from './pipelines.ts';
import type { EncodeResult, RequestsResult } from './span-worker.ts';
import { SPANS_PER_REQUEST } from './workload.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    requests: { type: 'string', default: '102400' },
    warmup: { type: 'string', default: '20480' },
    batches: { type: 'string', default: '1000' },
    'no-pin': { type: 'boolean', default: false },
  },
});
const pin = !args['no-pin'] && canPin();
const rounds = Number(args.rounds);
const RATIOS = [1, 0.1] as const;
const WORKER = fileURLToPath(new URL('./span-worker.ts', import.meta.url));
const workDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-tracing-spans-'));
const log = (message: string): void => void process.stderr.write(`${message}\n`);
installCleanup(async () => undefined);

async function runWorker<T>(workerArgs: string[]): Promise<T> {
  const child = spawnChild({
    name: `span worker ${workerArgs.join(' ')}`,
    command: process.execPath,
    args: ['--conditions=@flotilla/source', WORKER, ...workerArgs],
    cwd: workDir,
    env: process.env,
    cpus: pin ? '0' : undefined,
    pipeStdout: true,
  });
  let output = '';
  child.process.stdout?.setEncoding('utf8');
  child.process.stdout?.on('data', (chunk: string) => {
    output += chunk;
  });
  const { code } = await child.exited;
  if (code !== 0) throw new Error(`${child.name} exited with ${code}`);
  return JSON.parse(output.trim().split('\n').pop() as string) as T;
}

/** The order of the pipelines in a round: rotated each round, so none always runs first. */
function rotated<T>(items: readonly T[], by: number): T[] {
  return items.map((_, i) => items[(i + by) % items.length] as T);
}

type Measured = Record<PipelineName, RequestsResult[]>;

const sink = await startSink({ workDir, cpus: pin ? '1' : undefined });
try {
  const measured = new Map<number, Measured>(RATIOS.map((ratio) => [ratio, { none: [], kit: [], sdk: [] }]));
  const encoded: Record<'kit' | 'sdk', EncodeResult[]> = { kit: [], sdk: [] };
  for (let round = 0; round < rounds; round++) {
    for (const ratio of RATIOS) {
      for (const pipeline of rotated(PIPELINES, round)) {
        const result = await runWorker<RequestsResult>([
          ...['--pipeline', pipeline, '--ratio', String(ratio), '--endpoint', sink.endpoint],
          ...['--requests', args.requests, '--warmup', args.warmup],
        ]);
        (measured.get(ratio) as Measured)[pipeline].push(result);
        log(
          `round ${round + 1} ratio ${ratio} ${pipeline}: ${fixed(result.cpuMicros / result.requests, 2)} µs/request, ${result.sampled} spans sampled, sink got ${result.sink.spans}`,
        );
      }
    }
    for (const pipeline of rotated(['kit', 'sdk'] as const, round)) {
      encoded[pipeline].push(await runWorker<EncodeResult>(['--pipeline', pipeline, '--encode', '--batches', args.batches]));
    }
  }

  console.log(
    `\nper traced request: a SERVER span (10 attributes) + a CLIENT child (5); ${args.requests} requests per measurement, ${rounds} rounds, medians (per round in brackets)${pin ? '; worker on CPU 0, sink on CPU 1' : ''}\n`,
  );
  for (const ratio of RATIOS) {
    const byPipeline = measured.get(ratio) as Measured;
    const perRequest = (results: RequestsResult[]): number[] => results.map((r) => r.cpuMicros / r.requests);
    const baseline = median(perRequest(byPipeline.none));
    const netPerSpan: Partial<Record<PipelineName, number>> = {};
    const rows = PIPELINES.map((pipeline) => {
      const results = byPipeline[pipeline];
      const values = perRequest(results);
      const request = median(values);
      const made = results.reduce((sum, r) => sum + r.requests * SPANS_PER_REQUEST, 0);
      const sampled = results.reduce((sum, r) => sum + r.sampled, 0);
      const spans = results.reduce((sum, r) => sum + r.sink.spans, 0);
      const bytes = results.reduce((sum, r) => sum + r.sink.bytes, 0);
      netPerSpan[pipeline] = (request - baseline) / SPANS_PER_REQUEST;
      return [
        pipeline,
        `${fixed(request, 2)} (${values.map((v) => fixed(v, 1)).join(' / ')})`,
        fixed(request / SPANS_PER_REQUEST, 2),
        pipeline === 'none' ? '—' : fixed(netPerSpan[pipeline] as number, 2),
        pipeline === 'none' ? '—' : `${fixed((100 * spans) / made, 1)} %${spans < sampled ? ` (${sampled - spans} DROPPED)` : ''}`,
        spans === 0 ? '—' : fixed(bytes / spans, 0),
      ];
    });
    console.log(`sample ratio ${ratio}`);
    console.log(
      renderTable(['pipeline', 'CPU µs/request', 'µs/span made', 'net µs/span', 'spans exported', 'wire bytes/exported span'], rows),
    );
    const kit = netPerSpan.kit as number;
    const sdk = netPerSpan.sdk as number;
    console.log(`sdk / kit, net CPU per span: ${fixed(sdk / kit, 2)}× (the SDK adds ${fixed(sdk - kit, 2)} µs per span made)\n`);
  }

  const encodeRows = (['kit', 'sdk'] as const).map((pipeline) => {
    const values = encoded[pipeline].map((r) => r.cpuMicrosPerBatch);
    const batch = median(values);
    return [
      pipeline,
      `${fixed(batch, 0)} (${values.map((v) => fixed(v, 0)).join(' / ')})`,
      fixed(batch / SPANS_PER_BATCH, 2),
      String(encoded[pipeline][0]?.bytesPerBatch ?? '—'),
    ];
  });
  console.log(`encoding one export request of ${SPANS_PER_BATCH} spans (${args.batches} times per measurement)`);
  console.log(renderTable(['encoder', 'CPU µs/batch', 'µs/span', 'bytes/batch'], encodeRows));
  const kitBatch = median(encoded.kit.map((r) => r.cpuMicrosPerBatch));
  const sdkBatch = median(encoded.sdk.map((r) => r.cpuMicrosPerBatch));
  console.log(`sdk / kit, encoding: ${fixed(sdkBatch / kitBatch, 2)}×`);
  const totals = await sink.stats();
  console.log(`sink: ${totals.spans} spans in ${totals.requests} requests, ${fixed(totals.bytes / 2 ** 20, 1)} MiB`);
} finally {
  await sink.stop();
  killAllChildren();
  rmSync(workDir, { recursive: true, force: true });
}
