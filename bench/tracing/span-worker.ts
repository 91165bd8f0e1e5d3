/**
 * One measurement in a fresh process, run by spans.ts: prints one JSON line.
 *
 * Requests (default): the workload on one pipeline, `--warmup` requests,
 * then `--requests` more in chunks of `--chunk`, yielding to the event loop
 * between chunks (so batches are sent as in a server), then a flush; the
 * process's CPU time over the measured part, flush included, the spans
 * sampled, and what the sink received meanwhile. Every four full batches'
 * worth of sampled spans it waits for the exports in flight, so a sink slowed
 * by other jobs makes the worker wait (idle) instead of filling the queue
 * until spans are dropped.
 *
 * `--encode`: one 512-span batch encoded `--batches` times (encoders.ts);
 * CPU time per batch and the body's size.
 *
 *   node --conditions=@flotilla/source bench/tracing/span-worker.ts --pipeline kit|sdk|none --endpoint URL [--ratio 1] [--requests 102400] [--warmup 20480] [--chunk 256]
 *   node --conditions=@flotilla/source bench/tracing/span-worker.ts --pipeline kit|sdk --encode [--batches 1000]
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { httpRequest } from '../lib/net.ts';
import type { SinkTotals } from '../observability/sink.ts';
import { batchEncoder } from './encoders.ts';
import { BATCH, PIPELINES, startPipeline, type PipelineName } from './pipelines.ts';
import { SPANS_PER_REQUEST, tracedRequest } from './workload.ts';

const { values: args } = parseArgs({
  options: {
    pipeline: { type: 'string' },
    endpoint: { type: 'string', default: '' },
    ratio: { type: 'string', default: '1' },
    requests: { type: 'string', default: '102400' },
    warmup: { type: 'string', default: '20480' },
    chunk: { type: 'string', default: '256' },
    encode: { type: 'boolean', default: false },
    batches: { type: 'string', default: '1000' },
  },
});
const name = args.pipeline as PipelineName;
if (!PIPELINES.includes(name)) throw new Error(`--pipeline must be one of ${PIPELINES.join(', ')}`);

const cpuMicros = (): number => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

export interface RequestsResult {
  cpuMicros: number;
  requests: number;
  /** Spans sampled, all to be exported. */
  sampled: number;
  sink: SinkTotals;
}

export interface EncodeResult {
  cpuMicrosPerBatch: number;
  bytesPerBatch: number;
}

async function sinkTotals(): Promise<SinkTotals> {
  if (args.endpoint === '') return { requests: 0, bytes: 0, spans: 0 };
  const answer = await httpRequest(new URL('/stats', args.endpoint).href);
  return JSON.parse(answer.body) as SinkTotals;
}

async function measureRequests(): Promise<RequestsResult> {
  const ratio = Number(args.ratio);
  const pipeline = await startPipeline(name, args.endpoint, ratio);
  const chunk = Number(args.chunk);
  // Requests for about four batches of sampled spans (at ratio 1 exactly four full ones, with chunks of 256): half the queue at most.
  const waitEvery = (4 * BATCH.maxExportBatchSize) / SPANS_PER_REQUEST / Math.max(ratio, 0.01);
  let n = 0;
  const run = async (count: number): Promise<number> => {
    let sampled = 0;
    let sinceWait = 0;
    for (let done = 0; done < count; done += chunk) {
      for (let i = 0; i < chunk; i++) sampled += tracedRequest(pipeline.tracer, n++);
      await nextTurn();
      sinceWait += chunk;
      if (sinceWait >= waitEvery) {
        sinceWait = 0;
        await pipeline.flush();
      }
    }
    await pipeline.flush();
    return sampled;
  };
  await run(Number(args.warmup));
  const before = await sinkTotals();
  const requests = Number(args.requests);
  const start = cpuMicros();
  const sampled = await run(requests);
  const cpu = cpuMicros() - start;
  const after = await sinkTotals();
  await pipeline.shutdown();
  return {
    cpuMicros: cpu,
    requests,
    sampled,
    sink: { requests: after.requests - before.requests, bytes: after.bytes - before.bytes, spans: after.spans - before.spans },
  };
}

async function measureEncode(): Promise<EncodeResult> {
  if (name === 'none') throw new Error('--encode needs --pipeline kit or sdk');
  const encoder = await batchEncoder(name);
  const batches = Number(args.batches);
  for (let i = 0; i < Math.max(50, batches / 5); i++) encoder.encode();
  let bytes = 0;
  const start = cpuMicros();
  for (let i = 0; i < batches; i++) bytes = encoder.encode();
  return { cpuMicrosPerBatch: (cpuMicros() - start) / batches, bytesPerBatch: bytes };
}

const result = args.encode ? await measureEncode() : await measureRequests();
process.stdout.write(`${JSON.stringify(result)}\n`);
