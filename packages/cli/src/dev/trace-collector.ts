/**
 * The dev system's own trace collector: `flotilla dev` turns tracing on in
 * every process and points its OTLP/HTTP exporter here, on 127.0.0.1 (4318,
 * the OTLP port, unless FLOTILLA_DEV_TRACES_PORT says otherwise). It keeps
 * the most recent traces in memory, bounded, and serves them as JSON to
 * `flotilla traces`: no Jaeger needed to see a request cross the system.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { decodeTraceExport, type OtlpSpan } from '@flotilla/telemetry';
import { UsageError } from '../exit-codes.ts';
import { findPortHolder } from './port-holder.ts';
import { summarise, type TraceSummary, toWaterfall, type Waterfall } from './trace-views.ts';

export const DEFAULT_TRACES_PORT = 4318;
export const TRACES_PORT_VARIABLE = 'FLOTILLA_DEV_TRACES_PORT';
const MAX_TRACES = 200;
const MAX_SPANS_PER_TRACE = 1_000;
const MAX_EXPORT_BYTES = 8 * 1024 * 1024;

export interface TraceCollector {
  /** http://127.0.0.1:PORT: `/v1/traces` takes exports, `/traces` lists, `/traces/<id>` shows one. */
  url: string;
  close(): Promise<void>;
}

/** The most recent traces, oldest dropped first; a trace's spans arrive in several exports. */
class RecentTraces {
  readonly #traces = new Map<string, OtlpSpan[]>();

  add(spans: OtlpSpan[]): void {
    for (const span of spans) {
      let trace = this.#traces.get(span.traceId);
      if (trace === undefined) {
        trace = [];
        this.#traces.set(span.traceId, trace);
        if (this.#traces.size > MAX_TRACES) this.#traces.delete(this.#traces.keys().next().value as string);
      }
      if (trace.length < MAX_SPANS_PER_TRACE) trace.push(span);
    }
  }

  list(): TraceSummary[] {
    return [...this.#traces.entries()].map(([id, spans]) => summarise(id, spans)).sort((a, b) => b.startMs - a.startMs);
  }

  get(id: string): Waterfall | undefined {
    const spans = this.#traces.get(id);
    return spans === undefined ? undefined : toWaterfall(id, spans);
  }
}

export async function startTraceCollector(port: number): Promise<TraceCollector> {
  const traces = new RecentTraces();
  const server = createServer((req, res) => handle(traces, req, res));
  await listen(server, port);
  const bound = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The collector's port from the environment: a number, or the OTLP default. */
export function tracesPort(env: NodeJS.ProcessEnv): number {
  const value = env[TRACES_PORT_VARIABLE];
  if (value === undefined || value === '') return DEFAULT_TRACES_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError(`${TRACES_PORT_VARIABLE} must be a port number, not ${JSON.stringify(value)}`);
  return port;
}

async function listen(server: Server, port: number): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    const holder = await findPortHolder(port);
    throw new UsageError(
      [
        `cannot start: the trace collector's port 127.0.0.1:${port} is in use${holder === undefined ? '' : ` by pid ${holder.pid}: ${holder.command}`}`,
        `Stop it, choose another port with ${TRACES_PORT_VARIABLE}=<port>, or run without traces: flotilla dev --no-traces`,
      ].join('\n'),
    );
  }
}

function handle(traces: RecentTraces, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0] as string;
  if (req.method === 'POST' && path === '/v1/traces') {
    receive(traces, req, res);
    return;
  }
  if (req.method === 'GET' && path === '/traces') {
    json(res, 200, { traces: traces.list() });
    return;
  }
  const id = /^\/traces\/([0-9a-f]{32})$/.exec(path)?.[1];
  if (req.method === 'GET' && id !== undefined) {
    const trace = traces.get(id);
    if (trace === undefined) json(res, 404, { error: `no trace ${id} among the ${MAX_TRACES} most recent` });
    else json(res, 200, trace);
    return;
  }
  req.resume();
  json(res, 404, { error: 'POST /v1/traces, GET /traces, GET /traces/<trace id>' });
}

function receive(traces: RecentTraces, req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_EXPORT_BYTES) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > MAX_EXPORT_BYTES || req.headers['content-type'] !== 'application/x-protobuf') {
      res.writeHead(size > MAX_EXPORT_BYTES ? 413 : 415).end();
      return;
    }
    try {
      traces.add(decodeTraceExport(Buffer.concat(chunks)));
    } catch {
      res.writeHead(400).end();
      return;
    }
    // An empty ExportTraceServiceResponse.
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}
