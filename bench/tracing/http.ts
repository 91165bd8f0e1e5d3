/**
 * The per-request view: what the traced request costs against the untraced
 * one, through a real HTTP server. Three servers (traced-server.ts), one per
 * pipeline (`none`, `kit`, `sdk`), pinned to CPU 0, each loaded by its own
 * autocannon process on CPU 1 at the same time (the method of
 * bench/observability/gateway-tracing.ts: side by side, every server sees
 * the same machine), the traced ones each exporting to a loopback sink of
 * their own (CPU 1), which must receive every span the server sampled.
 * The figure is each server's CPU µs per 2xx answer over the measured window
 * (/proc); "added" is a traced server's figure minus the untraced one's, per
 * round, medianed.
 *
 *   node bench/tracing/http.ts [--rounds 3] [--duration 8] [--warmup 3] [--prewarm 5] [--connections 32] [--ratio 1] [--no-pin]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { canPin, installCleanup, killAllChildren, spawnChild, type Child } from '../lib/children.ts';
import { runLoad, type MeasuredLoad } from '../lib/load.ts';
import { fixed, median, renderTable } from '../lib/table.ts';
import { settledSpans, startSink } from '../observability/sink.ts';
import { PIPELINES, type PipelineName } from './pipelines.ts';
import { SPANS_PER_REQUEST } from './workload.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '3' },
    prewarm: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    ratio: { type: 'string', default: '1' },
    'no-pin': { type: 'boolean', default: false },
  },
});
const pin = !args['no-pin'] && canPin();
const SERVER_CPU = pin ? '0' : undefined;
const LOAD_CPU = pin ? '1' : undefined;
const rounds = Number(args.rounds);
const SERVER = fileURLToPath(new URL('./traced-server.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const workDir = mkdtempSync(join(tmpdir(), 'flotilla-bench-tracing-http-'));
const log = (message: string): void => void process.stderr.write(`${message}\n`);
installCleanup(async () => undefined);

interface Server {
  child: Child;
  url: string;
  /** Its stdout lines: {"port"} first, {"sampled"} after SIGTERM. */
  lines: string[];
}

async function startServer(pipeline: PipelineName, endpoint: string): Promise<Server> {
  const child = spawnChild({
    name: `traced server ${pipeline}`,
    command: process.execPath,
    args: ['--conditions=@flotilla/source', SERVER, '--pipeline', pipeline, '--endpoint', endpoint, '--ratio', args.ratio],
    cwd: REPO_ROOT,
    env: process.env,
    cpus: SERVER_CPU,
    pipeStdout: true,
  });
  const lines: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    let partial = '';
    child.process.stdout?.setEncoding('utf8');
    child.process.stdout?.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts.filter(Boolean));
      if (lines.length > 0) resolve((JSON.parse(lines[0] as string) as { port: number }).port);
    });
    void child.exited.then(({ code }) => reject(new Error(`${child.name} exited (${code}) before listening`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, lines };
}

/** Stops a server (it flushes first); resolves with the spans it sampled. */
async function stopServer(server: Server): Promise<number> {
  await server.child.stop(30_000);
  const last = server.lines[server.lines.length - 1] as string;
  return (JSON.parse(last) as { sampled?: number }).sampled ?? Number.NaN;
}

const TRACED = ['kit', 'sdk'] as const;
const runs: Record<PipelineName, MeasuredLoad[]> = { none: [], kit: [], sdk: [] };
try {
  // A sink per traced server, so each one's spans can be checked against what it sampled.
  const sinks = { kit: await startSink({ workDir, cpus: LOAD_CPU }), sdk: await startSink({ workDir, cpus: LOAD_CPU }) };
  const servers = {} as Record<PipelineName, Server>;
  for (const pipeline of PIPELINES) servers[pipeline] = await startServer(pipeline, pipeline === 'none' ? '' : sinks[pipeline].endpoint);
  const load = (pipeline: PipelineName, name: string, warmupSeconds: number, durationSeconds: number): Promise<MeasuredLoad> =>
    runLoad(
      {
        url: servers[pipeline].url,
        kind: { type: 'get', pathPrefix: '/users/', ids: ['1', '2', '3', '4'] },
        connections: Number(args.connections),
        pipelining: 1,
        warmupSeconds,
        durationSeconds,
      },
      { name, serverPid: servers[pipeline].child.pid, cpus: LOAD_CPU, workDir, repoRoot: REPO_ROOT },
    );
  if (Number(args.prewarm) > 0) {
    log(`pre-warming the servers for ${args.prewarm} s`);
    await Promise.all(PIPELINES.map((pipeline) => load(pipeline, `prewarm-${pipeline}`, 0, Number(args.prewarm))));
  }
  for (let round = 1; round <= rounds; round++) {
    const measured = await Promise.all(
      PIPELINES.map((pipeline) => load(pipeline, `${pipeline}-${round}`, Number(args.warmup), Number(args.duration))),
    );
    PIPELINES.forEach((pipeline, i) => {
      const run = measured[i] as MeasuredLoad;
      if (run.non2xx + run.errors + run.timeouts > 0) throw new Error(`${pipeline}: ${run.non2xx} non-2xx, ${run.errors} errors`);
      runs[pipeline].push(run);
    });
    log(
      `round ${round}/${rounds}: ${PIPELINES.map((p, i) => `${p} ${fixed((measured[i] as MeasuredLoad).serverCpuMicrosPerRequest, 1)} µs`).join(', ')}`,
    );
  }
  await servers.none.child.stop();
  const exports = await Promise.all(
    TRACED.map(async (pipeline) => {
      const sampled = await stopServer(servers[pipeline]);
      const received = await settledSpans(sinks[pipeline]);
      await sinks[pipeline].stop();
      return { pipeline, sampled, received };
    }),
  );

  const cpu = (pipeline: PipelineName): number[] => runs[pipeline].map((r) => r.serverCpuMicrosPerRequest);
  const added = (pipeline: PipelineName): number[] => cpu(pipeline).map((value, i) => value - (cpu('none')[i] as number));
  console.log(
    `\nHTTP server, ${SPANS_PER_REQUEST} spans per request (SERVER + CLIENT child), sample ratio ${args.ratio}: ${rounds} round(s) × ${args.duration} s (+${args.warmup} s warm-up), ${args.connections} connections, three servers loaded at the same time${pin ? ', servers on CPU 0, load + sink on CPU 1' : ''} (medians)\n`,
  );
  console.log(
    renderTable(
      ['server', 'req/s', 'CPU µs/request', 'per round', 'added by tracing µs/request', '× untraced'],
      PIPELINES.map((pipeline) => [
        pipeline,
        fixed(median(runs[pipeline].map((r) => r.requestsPerSecond))),
        fixed(median(cpu(pipeline)), 1),
        cpu(pipeline)
          .map((v) => fixed(v, 1))
          .join(' / '),
        pipeline === 'none' ? '—' : fixed(median(added(pipeline)), 1),
        fixed(median(cpu(pipeline).map((value, i) => value / (cpu('none')[i] as number))), 2),
      ]),
    ),
  );
  const kitAdded = median(added('kit'));
  const sdkAdded = median(added('sdk'));
  console.log(
    `\nsdk / kit, CPU added per traced request: ${fixed(sdkAdded / kitAdded, 2)}× (the SDK adds ${fixed(sdkAdded - kitAdded, 1)} µs per request, ${fixed((sdkAdded - kitAdded) / SPANS_PER_REQUEST, 1)} µs per span, ${fixed((100 * (sdkAdded - kitAdded)) / kitAdded, 0)} % of the kit's traced-request overhead)`,
  );
  for (const { pipeline, sampled, received } of exports) {
    const dropped = sampled - received.spans;
    console.log(
      `${pipeline}: the sink got ${received.spans} of ${sampled} sampled spans${dropped > 0 ? ` (${dropped} DROPPED: its figure is too low)` : ''} in ${received.requests} requests, ${fixed(received.bytes / received.spans, 0)} bytes per span`,
    );
  }
} finally {
  killAllChildren();
  rmSync(workDir, { recursive: true, force: true });
}
