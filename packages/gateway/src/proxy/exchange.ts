/**
 * One proxied request: an undici dispatch handler that streams the upstream
 * response straight into the client's `ServerResponse`, chunk by chunk, with
 * backpressure both ways (undici pauses the upstream socket while the client
 * is slow; the request body is piped by undici from the IncomingMessage).
 *
 * It implements undici's raw handler interface (onConnect/onHeaders/onData/
 * onComplete/onError) rather than `request()`, which would add a Readable,
 * a parsed header object and promises per request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { AccessLog } from './access-log.js';
import { downstreamResponseHeaders } from './headers.js';
import { sendProblem, type GatewayProblem } from './problem.js';

const kExchange = Symbol('flotilla.gateway.exchange');
type TrackedResponse = ServerResponse & { [kExchange]?: ProxyExchange };

const PENDING = 0;
const STREAMING = 1;
const DONE = 2;

export interface ExchangeTarget {
  routeName: string;
  upstream: string;
  origin: string;
  timeoutMs: number;
  /** Maps an upstream Location back to the public URL space. */
  publicLocation(location: string): string;
}

export class ProxyExchange implements Dispatcher.DispatchHandler {
  private readonly req: IncomingMessage;
  private readonly res: TrackedResponse;
  private readonly requestId: string;
  private readonly target: ExchangeTarget;
  private readonly log: AccessLog;
  private readonly started: number;
  private state = PENDING;
  private clientGone = false;
  private abortUpstream: ((error?: Error) => void) | undefined;
  private resumeUpstream: (() => void) | undefined;
  private drainHooked = false;
  private bodyEnded = false;
  /** From the upstream's Content-Length; -1 when it streams without one. */
  contentLength = -1;

  constructor(req: IncomingMessage, res: ServerResponse, requestId: string, target: ExchangeTarget, log: AccessLog) {
    this.req = req;
    this.res = res;
    this.requestId = requestId;
    this.target = target;
    this.log = log;
    this.started = log.enabled ? performance.now() : 0;
    (res as TrackedResponse)[kExchange] = this;
    res.on('close', onResponseClose);
  }

  onConnect(abort: (error?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.clientGone) abort(new Error('client went away'));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // informational: Node answers the client's 100-continue itself
    this.state = STREAMING;
    this.resumeUpstream = resume;
    try {
      this.res.writeHead(statusCode, downstreamResponseHeaders(rawHeaders, this.requestId, this, this.target.publicLocation));
    } catch (error) {
      this.fail({ code: 'bad-gateway', detail: `Upstream ${this.target.upstream} sent a header that cannot be relayed` }, error);
      this.abortUpstream?.(error as Error);
      return false;
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (chunk.length === this.contentLength) {
      // The whole body in one chunk (the usual small JSON answer): headers and body leave in one write.
      this.bodyEnded = true;
      this.res.end(chunk);
      return true;
    }
    if (this.res.write(chunk)) return true;
    if (!this.drainHooked) {
      this.drainHooked = true;
      this.res.on('drain', onResponseDrain);
    }
    return false;
  }

  onComplete(): void {
    this.state = DONE;
    if (!this.bodyEnded) this.res.end();
    if (this.log.enabled) this.log.write(this.req, this.res.statusCode, this.requestId, this.target, performance.now() - this.started);
  }

  onError(error: Error): void {
    if (this.state === DONE) return;
    const wasStreaming = this.state === STREAMING;
    this.state = DONE;
    if (this.clientGone) {
      this.log.write(this.req, 499, this.requestId, this.target, performance.now() - this.started);
      return;
    }
    if (wasStreaming) {
      // Headers are out: cutting the connection is the only way to tell the client the body is incomplete.
      this.log.failure(this.req, this.requestId, this.target, error, 'upstream failed mid-response');
      this.res.destroy();
      return;
    }
    this.fail(upstreamProblem(error, this.target), error);
  }

  /** The client closed its connection; stop the upstream work too. */
  clientClosed(): void {
    if (this.state === DONE) return;
    this.clientGone = true;
    this.abortUpstream?.(new Error('client went away'));
  }

  resume(): void {
    this.resumeUpstream?.();
  }

  private fail(problem: GatewayProblem, error: unknown): void {
    this.state = DONE;
    // An unread request body must not be taken for the next request on this connection.
    const bodyUnread = !this.req.complete;
    sendProblem(this.res, problem, this.req.url ?? '', this.requestId, bodyUnread);
    this.log.failure(this.req, this.requestId, this.target, error, problem.detail, this.res.statusCode, performance.now() - this.started);
  }
}

// Shared listeners (no closure per request): the exchange hangs off the response.
function onResponseClose(this: TrackedResponse): void {
  this[kExchange]?.clientClosed();
}

function onResponseDrain(this: TrackedResponse): void {
  this[kExchange]?.resume();
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export function upstreamProblem(error: unknown, target: ExchangeTarget): GatewayProblem {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
    const what = code === 'UND_ERR_CONNECT_TIMEOUT' ? 'could not be connected to in time' : `did not answer within ${target.timeoutMs} ms`;
    return { code: 'deadline-exceeded', detail: `Upstream ${target.upstream} ${what}`, extensions: { upstream: target.upstream } };
  }
  const reason = code === 'ECONNREFUSED' ? 'refused the connection' : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' ? 'closed the connection' : 'could not be reached';
  return { code: 'bad-gateway', detail: `Upstream ${target.upstream} ${reason}`, extensions: { upstream: target.upstream } };
}
