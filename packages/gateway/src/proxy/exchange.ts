/**
 * One proxied request: an undici dispatch handler that streams the upstream
 * response straight into the client's `ServerResponse`, chunk by chunk, with
 * backpressure both ways (undici pauses the upstream socket while the client
 * is slow; the request body is piped by undici from the IncomingMessage).
 *
 * It implements undici's dispatch handler interface (onRequestStart/
 * onResponseStart/onResponseData/onResponseEnd/onResponseError) rather than
 * `request()`, which would add a Readable and promises per request. Headers
 * are relayed from the controller's raw list, in the upstream's order.
 *
 * Every way a request ends (complete, upstream error, client gone) passes
 * through here once: that is where the upstream call (client span, client
 * metrics) and then the server request (RED metrics, server span) end, and
 * the access line is written.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SpanStatusCode } from '@opentelemetry/api';
import { CLIENT_CLOSED_REQUEST, type HttpRequestTelemetry } from '@flotilla/telemetry';
import type { Dispatcher } from 'undici';
import type { AccessLog } from './access-log.ts';
import { downstreamResponseHeaders } from './headers.ts';
import { sendProblem, type GatewayProblem } from './problem.ts';
import { upstreamErrorType, type UpstreamCall } from './upstream-telemetry.ts';

const kExchange = Symbol('flotilla.gateway.exchange');
/** undici's controller carries the response's raw header list next to the parsed object it hands over. */
type RawHeadersController = Dispatcher.DispatchController & { rawHeaders?: Buffer[] | null };
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

/**
 * Set for an attempt run under an upstream guard: the exchange holds the
 * upstream's response at its headers (the upstream socket paused) and lets
 * the guard decide — `forward()` it to the client, or `discard()` it and try
 * again. Failures before the headers reject instead of answering the client.
 */
export interface HoldCallbacks {
  held(exchange: ProxyExchange): void;
  failed(error: Error): void;
  /**
   * Whether an answer with this status is held for the guard to judge (one
   * it may retry). Any other goes to the client at once and `held` is still
   * called: the guard records it, with no pause and resume of the upstream.
   */
  holds(status: number): boolean;
}

export class ProxyExchange implements Dispatcher.DispatchHandler {
  private readonly req: IncomingMessage;
  private readonly res: TrackedResponse;
  private readonly requestId: string;
  private readonly target: ExchangeTarget;
  private readonly log: AccessLog;
  private readonly request: HttpRequestTelemetry;
  private readonly call: UpstreamCall;
  private readonly started: number;
  /** Read now: Node detaches the socket from a request with a body once the response has ended. */
  private readonly clientAddress: string | undefined;
  private state = PENDING;
  private clientGone = false;
  private controller: Dispatcher.DispatchController | undefined;
  private drainHooked = false;
  private cancelled: Error | undefined;
  private bodyEnded = false;
  private answered = false;
  /** From the upstream's Content-Length; -1 when it streams without one. */
  contentLength = -1;
  /** Headers added to the client's answer (RateLimit…), as a flat array. */
  extraHeaders: readonly string[] | undefined;
  private hold: HoldCallbacks | undefined;
  private heldHeaders: Buffer[] | undefined;
  /** The upstream status once its headers arrived (0 before). */
  status = 0;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    target: ExchangeTarget,
    log: AccessLog,
    request: HttpRequestTelemetry,
    call: UpstreamCall,
    hold?: HoldCallbacks,
  ) {
    this.req = req;
    this.res = res;
    this.requestId = requestId;
    this.target = target;
    this.log = log;
    this.request = request;
    this.call = call;
    this.started = log.enabled ? performance.now() : 0;
    this.clientAddress = req.socket.remoteAddress;
    this.hold = hold;
    // One listener per response: a retry's exchange takes over the one its first attempt added.
    if (this.res[kExchange] === undefined) res.on('close', onResponseClose);
    this.res[kExchange] = this;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.clientGone) controller.abort(new Error('client went away'));
    else if (this.cancelled !== undefined) controller.abort(this.cancelled);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number): void {
    if (statusCode < 200) return; // informational: Node answers the client's 100-continue itself
    const rawHeaders = (controller as RawHeadersController).rawHeaders ?? [];
    this.status = statusCode;
    this.call.respond(statusCode);
    const hold = this.hold;
    if (hold !== undefined) {
      this.hold = undefined;
      if (hold.holds(statusCode)) {
        this.heldHeaders = rawHeaders;
        controller.pause(); // until forward() or discard()
        hold.held(this);
        return;
      }
      this.writeHeaders(rawHeaders);
      hold.held(this);
      return;
    }
    this.writeHeaders(rawHeaders);
  }

  /** True once this exchange answers the client itself (the response is on its way, or its failure was sent). */
  get answering(): boolean {
    return this.answered;
  }

  /** Sends the held response on to the client. */
  forward(): void {
    if (this.state === DONE || this.heldHeaders === undefined) return;
    const rawHeaders = this.heldHeaders;
    this.heldHeaders = undefined;
    if (this.writeHeaders(rawHeaders)) this.controller?.resume();
  }

  /** Drops the held response (another attempt follows); the call counts as answered with its status. */
  discard(): void {
    if (this.state === DONE) return;
    this.state = DONE;
    this.heldHeaders = undefined;
    this.call.finish();
    this.controller?.abort(new Error('response discarded for a retry'));
  }

  /** Stops an attempt before its headers (the guard's deadline passed). */
  cancel(reason: Error): void {
    if (this.state !== PENDING || this.cancelled !== undefined) return;
    this.cancelled = reason;
    this.controller?.abort(reason);
  }

  private writeHeaders(rawHeaders: Buffer[]): boolean {
    this.state = STREAMING;
    this.answered = true;
    try {
      const headers = downstreamResponseHeaders(rawHeaders, this.requestId, this, this.target.publicLocation);
      if (this.extraHeaders !== undefined) headers.push(...this.extraHeaders);
      this.res.writeHead(this.status, headers);
    } catch (error) {
      this.call.fail('invalid_response', true);
      this.fail({ code: 'bad-gateway', detail: `Upstream ${this.target.upstream} sent a header that cannot be relayed` }, error);
      this.controller?.abort(error as Error);
      return false;
    }
    return true;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (chunk.length === this.contentLength) {
      // The whole body in one chunk (the usual small JSON answer): headers and body leave in one write.
      this.bodyEnded = true;
      this.res.end(chunk);
      return;
    }
    if (this.res.write(chunk)) return;
    controller.pause(); // until the client's socket drains
    if (!this.drainHooked) {
      this.drainHooked = true;
      this.res.on('drain', onResponseDrain);
    }
  }

  onResponseEnd(): void {
    this.state = DONE;
    if (!this.bodyEnded) this.res.end();
    this.call.finish();
    const status = this.res.statusCode;
    this.request.end(status);
    if (this.log.enabled)
      this.log.write(this.req, status, this.requestId, this.target, performance.now() - this.started, this.request, this.clientAddress);
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    if (this.state === DONE) return;
    const wasStreaming = this.state === STREAMING;
    this.state = DONE;
    if (this.clientGone) {
      this.call.fail('cancelled', false);
      const hold = this.hold;
      if (hold !== undefined) {
        // Under a guard, which records the 499 (also when the client leaves between attempts).
        this.hold = undefined;
        hold.failed(error);
        return;
      }
      this.request.end(CLIENT_CLOSED_REQUEST);
      this.log.write(
        this.req,
        CLIENT_CLOSED_REQUEST,
        this.requestId,
        this.target,
        performance.now() - this.started,
        this.request,
        this.clientAddress,
      );
      return;
    }
    const errorType = upstreamErrorType(error);
    const hold = this.hold;
    if (hold !== undefined) {
      // Under a guard: the guard decides (retry, or the problem the client gets).
      this.hold = undefined;
      if (this.cancelled === undefined) this.call.fail(errorType, true);
      else this.call.fail('cancelled', false);
      hold.failed(this.cancelled ?? error);
      return;
    }
    this.call.fail(errorType, true);
    if (wasStreaming) {
      // Headers are out: cutting the connection is the only way to tell the client the body is incomplete.
      this.log.failure(this.req, this.requestId, this.target, error, 'upstream failed mid-response', this.request);
      this.res.destroy();
      // The status already sent is what the metrics show; the span says the answer was cut.
      this.request.span?.setAttribute('error.type', errorType).setStatus({ code: SpanStatusCode.ERROR });
      this.request.end(this.res.statusCode);
      return;
    }
    this.fail(upstreamProblem(error, this.target), error);
  }

  /** The client closed its connection; stop the upstream work too. */
  clientClosed(): void {
    if (this.state === DONE) return;
    this.clientGone = true;
    this.controller?.abort(new Error('client went away'));
  }

  resume(): void {
    this.controller?.resume();
  }

  private fail(problem: GatewayProblem, error: unknown): void {
    this.state = DONE;
    // An unread request body must not be taken for the next request on this connection.
    const bodyUnread = !this.req.complete;
    sendProblem(this.res, problem, this.req.url ?? '', this.requestId, bodyUnread);
    // No headers left when the client's connection was already gone.
    const status = this.res.headersSent ? this.res.statusCode : CLIENT_CLOSED_REQUEST;
    this.request.end(status);
    this.log.failure(
      this.req,
      this.requestId,
      this.target,
      error,
      problem.detail,
      this.request,
      status,
      performance.now() - this.started,
      this.clientAddress,
    );
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
    return {
      code: 'deadline-exceeded',
      detail: `Upstream ${target.upstream} ${what}`,
      extensions: { upstream: target.upstream },
    };
  }
  const reason =
    code === 'ECONNREFUSED'
      ? 'refused the connection'
      : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET'
        ? 'closed the connection'
        : 'could not be reached';
  return {
    code: 'bad-gateway',
    detail: `Upstream ${target.upstream} ${reason}`,
    extensions: { upstream: target.upstream },
  };
}
