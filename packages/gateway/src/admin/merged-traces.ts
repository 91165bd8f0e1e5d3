/**
 * Traces across the system without a tracing backend: the gateway lists the
 * traces it saw (its recent-spans buffer), and one trace is the gateway's
 * own spans merged with what every other instance it knows holds of it
 * (`GET /admin/traces/{traceId}` on each, the kit's route, asked in parallel
 * with a short timeout). Services verify the gateway's signed identity
 * header there, so the gateway needs `auth.identityHeader` to see their
 * spans; an instance that cannot be asked is named in `sources` with why.
 */
import { NotFoundError } from '@flotilla/kit';
import type { RecentSpan, RecentSpans } from '@flotilla/telemetry';
import type { KnownInstance } from './known-instances.ts';
import type { TraceAnswer, TraceListAnswer } from './live-view-schemas.ts';

const FETCH_TIMEOUT_MS = 2_000;
const PARALLEL_FETCHES = 16;

export interface MergedTracesOptions {
  /** The gateway's own buffer; undefined while tracing is off. */
  recent(): RecentSpans | undefined;
  /** The instances to ask (every one with an HTTP listener but this gateway). */
  peers(): Promise<KnownInstance[]>;
  /** The `x-flotilla-identity` value for one request to a peer on behalf of `caller`, or undefined when none can be signed. */
  identity(target: string, requestId: string, caller: string): string | undefined;
  /** This gateway's instance id, for `sources`. */
  self(): string;
  jaegerUrl(): string | null;
}

type SpanAnswer = TraceAnswer['spans'][number];
type SourceAnswer = TraceAnswer['sources'][number];

export class MergedTraces {
  readonly #options: MergedTracesOptions;
  #requests = 0;

  constructor(options: MergedTracesOptions) {
    this.#options = options;
  }

  list(limit: number): TraceListAnswer {
    const recent = this.#options.recent();
    return { traces: recent?.traces(limit) ?? [], jaegerUrl: this.#options.jaegerUrl(), tracing: recent !== undefined };
  }

  /** The trace as the gateway and its peers hold it; `caller` (the admin asking) is who the peers are asked for. */
  async trace(traceId: string, caller: string): Promise<TraceAnswer> {
    const own = this.#options.recent()?.trace(traceId) ?? [];
    const sources: SourceAnswer[] = [{ service: 'gateway', instance: this.#options.self(), spans: own.length }];
    const spans = new Map<string, SpanAnswer>(own.map((span) => [span.spanId, spanAnswer(span)]));
    const peers = await this.#options.peers();
    for (let i = 0; i < peers.length; i += PARALLEL_FETCHES) {
      const asked = await Promise.all(peers.slice(i, i + PARALLEL_FETCHES).map((peer) => this.#ask(peer, traceId, caller)));
      for (const { source, found } of asked) {
        sources.push(source);
        for (const span of found) if (!spans.has(span.spanId)) spans.set(span.spanId, spanAnswer(span));
      }
    }
    if (spans.size === 0) throw new NotFoundError(`No span of trace ${traceId} is held by the gateway or the instances it knows`);
    return { traceId, spans: [...spans.values()].sort((a, b) => a.start - b.start), sources };
  }

  async #ask(peer: KnownInstance, traceId: string, caller: string): Promise<{ source: SourceAnswer; found: RecentSpan[] }> {
    const source = { service: peer.service, instance: peer.id };
    const target = `/admin/traces/${traceId}`;
    const requestId = `gateway-trace-${process.pid}-${++this.#requests}`;
    const identity = this.#options.identity(target, requestId, caller);
    try {
      const response = await fetch(`${peer.httpOrigin}${target}`, {
        headers: {
          accept: 'application/json',
          'x-request-id': requestId,
          ...(identity === undefined ? {} : { 'x-flotilla-identity': identity }),
        },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        return { source: { ...source, spans: 0, error: `answered ${response.status}` }, found: [] };
      }
      const body = (await response.json()) as { spans?: unknown };
      const found = Array.isArray(body.spans) ? body.spans.filter(isSpan).filter((span) => span.traceId === traceId) : [];
      return { source: { ...source, spans: found.length }, found };
    } catch (error) {
      return { source: { ...source, spans: 0, error: (error as Error).message }, found: [] };
    }
  }
}

function spanAnswer(span: RecentSpan): SpanAnswer {
  const { traceId: _traceId, ...rest } = span;
  return rest;
}

function isSpan(value: unknown): value is RecentSpan {
  if (value === null || typeof value !== 'object') return false;
  const span = value as Record<string, unknown>;
  return (
    typeof span.traceId === 'string' &&
    typeof span.spanId === 'string' &&
    typeof span.name === 'string' &&
    typeof span.start === 'number' &&
    typeof span.durationMs === 'number'
  );
}
