/** Starts sink.mjs (the loopback OTLP receiver) as a child process and reads its counts. */
import { fileURLToPath } from 'node:url';
import { spawnChild, type Child } from '../lib/children.ts';
import { httpRequest } from '../lib/net.ts';

export interface SinkTotals {
  /** Export requests received. */
  requests: number;
  /** Body bytes received (as sent, before any gunzip). */
  bytes: number;
  /** Spans inside those bodies. */
  spans: number;
}

export interface OtlpSink {
  child: Child;
  /** Where exporters POST: `http://127.0.0.1:<port>/v1/traces`. */
  endpoint: string;
  /** The counts so far (GET /stats). */
  stats(): Promise<SinkTotals>;
  /** Stops the sink; resolves with its final counts. */
  stop(): Promise<SinkTotals>;
}

const SINK_MAIN = fileURLToPath(new URL('./sink.mjs', import.meta.url));

export async function startSink(opts: { workDir: string; cpus: string | undefined }): Promise<OtlpSink> {
  const child = spawnChild({
    name: 'otlp sink',
    command: process.execPath,
    args: [SINK_MAIN],
    cwd: opts.workDir,
    env: process.env,
    cpus: opts.cpus,
    pipeStdout: true,
  });
  const lines: string[] = [];
  let partial = '';
  child.process.stdout?.setEncoding('utf8');
  child.process.stdout?.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  });
  const deadline = performance.now() + 10_000;
  while (lines.length === 0) {
    if (child.hasExited() || performance.now() > deadline) throw new Error('the OTLP sink did not start');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const { port } = JSON.parse(lines[0] as string) as { port: number };
  const base = `http://127.0.0.1:${port}`;
  return {
    child,
    endpoint: `${base}/v1/traces`,
    async stats() {
      const answer = await httpRequest(`${base}/stats`);
      return JSON.parse(answer.body) as SinkTotals;
    },
    async stop() {
      await child.stop();
      return JSON.parse(lines[lines.length - 1] as string) as SinkTotals;
    },
  };
}

/** Polls the sink until its span count stops growing for `quietMs` (the exporter's batches are in). */
export async function settledSpans(sink: OtlpSink, quietMs = 2_500, timeoutMs = 30_000): Promise<SinkTotals> {
  const deadline = performance.now() + timeoutMs;
  let last = await sink.stats();
  let since = performance.now();
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await sink.stats();
    if (now.spans !== last.spans) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) return now;
  }
  return last;
}
