/**
 * `GET /admin/traffic/stream`: the traffic sampler's samples as server-sent
 * events (`event: sample`, one per interval), with a comment line as a
 * heartbeat so proxies and browsers keep an idle stream open. At most
 * `maxStreams` at once (a stream holds a connection, and the sampler runs
 * while one is open); more are refused with 503. When the gateway shuts
 * down every stream is ended, so the drain never waits on one. A client
 * that stops reading is cut off rather than buffered for.
 */
import type { ServerResponse } from 'node:http';
import { UnavailableError } from '@flotilla/kit';
import type { MetricsRegistry } from '@flotilla/telemetry';
import type { TrafficSample, TrafficSampler } from './traffic-sampler.ts';

export const MAX_TRAFFIC_STREAMS = 8;
export const HEARTBEAT_MS = 15_000;
/** Unsent bytes beyond which a stream's reader counts as gone. */
const MAX_BACKLOG_BYTES = 1024 * 1024;

export interface TrafficStreamsOptions {
  sampler: TrafficSampler;
  metrics: MetricsRegistry;
  maxStreams?: number;
  heartbeatMs?: number;
}

export class TrafficStreams {
  readonly #sampler: TrafficSampler;
  readonly #maxStreams: number;
  readonly #heartbeatMs: number;
  readonly #open = new Set<ServerResponse>();
  readonly #gauge: { set(value: number): void };
  #closed = false;

  constructor(options: TrafficStreamsOptions) {
    this.#sampler = options.sampler;
    this.#maxStreams = options.maxStreams ?? MAX_TRAFFIC_STREAMS;
    this.#heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
    this.#gauge = options.metrics.gauge({
      name: 'flotilla_gateway_traffic_streams',
      help: 'Admin traffic streams (GET /admin/traffic/stream) open now.',
      aggregator: 'sum',
    });
    this.#gauge.set(0);
  }

  /** Throws (503) when no stream may open now: call before taking the response over. */
  admit(): void {
    if (this.#closed) throw new UnavailableError('The gateway is shutting down');
    if (this.#open.size >= this.#maxStreams)
      throw new UnavailableError(`At most ${this.#maxStreams} traffic streams may be open at once; close one and try again`, {
        details: { reason: 'too-many-streams', limit: this.#maxStreams },
      });
  }

  /** Serves one stream on a response nobody else writes to; it ends when the client leaves or the gateway closes. */
  serve(res: ServerResponse, requestId: string): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      'x-request-id': requestId,
    });
    this.#open.add(res);
    this.#gauge.set(this.#open.size);
    const send = (text: string): void => {
      if (res.writableLength > MAX_BACKLOG_BYTES) {
        res.destroy();
        return;
      }
      res.write(text);
    };
    // Headers now, so the client sees the stream open before the first sample.
    res.flushHeaders();
    const retryMs = this.#sampler.intervalMs;
    const latest = this.#sampler.latest();
    // A sample from the last interval is shown at once rather than after the next one.
    if (latest !== undefined && Date.now() - latest.t < this.#sampler.intervalMs) send(event(latest, retryMs));
    const unsubscribe = this.#sampler.subscribe((sample) => send(event(sample, retryMs)));
    const heartbeat = setInterval(() => send(': heartbeat\n\n'), this.#heartbeatMs);
    heartbeat.unref();
    res.once('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      this.#open.delete(res);
      this.#gauge.set(this.#open.size);
    });
  }

  get open(): number {
    return this.#open.size;
  }

  /** Ends every stream and refuses new ones (the gateway is closing). */
  close(): void {
    this.#closed = true;
    for (const res of this.#open) res.end();
  }
}

/** One `sample` event; `retry` rides along, as a block of its own would read as an event without data to some clients. */
function event(sample: TrafficSample, retryMs: number): string {
  return `event: sample\nretry: ${retryMs}\ndata: ${JSON.stringify(sample)}\n\n`;
}
