/**
 * The ECS access line for requests the gateway handles below Fastify
 * (proxied and aggregated), in the same shape as the kit's access line,
 * plus which route and upstream served it. Written by the kit's
 * `writeAccessLine` (one string, no redaction walk: the line has no field
 * that could hold a credential) through the service logger, so it shares
 * its bindings, level and destination.
 */
import type { IncomingMessage } from 'node:http';
import { isSpanContextValid } from '@opentelemetry/api';
import type { Logger } from '@flotilla/kit';
import { correlationJson, writeAccessLine, type HttpRequestTelemetry } from '@flotilla/telemetry';

export interface ServiceIdentity {
  service: string;
  version: string;
  environment: string;
}

const WEB = ['web'];
const ERROR = ['error'];

export interface AccessTarget {
  routeName: string;
  upstream: string;
  origin?: string;
}

/**
 * ECS `trace.id`, `span.id` and `transaction.id` (dotted, as the kit's
 * correlation mixin writes them) of a routed request: its SERVER span is
 * both the active span and the gateway's entry span. The routed path never
 * makes the span active, so the mixin would find nothing.
 */
function correlate(fields: Record<string, unknown>, request: HttpRequestTelemetry | undefined): Record<string, unknown> {
  const context = request?.span?.spanContext();
  if (context !== undefined && isSpanContextValid(context)) {
    fields['trace.id'] = context.traceId;
    fields['span.id'] = context.spanId;
    fields['transaction.id'] = context.spanId;
  }
  return fields;
}

/** The trace fields of a routed request's SERVER span (the line's `correlation`), or '' when it is not traced. */
function correlationOf(request: HttpRequestTelemetry | undefined): string {
  const context = request?.span?.spanContext();
  return context !== undefined && isSpanContextValid(context) ? correlationJson(context.traceId, context.spanId, context.spanId) : '';
}

export class AccessLog {
  readonly #logger: Logger;
  /** Access lines on or off (`proxy.accessLog`); failures are always logged (through the service logger). */
  readonly enabled: boolean;

  /** `_identity` is on every line already: the service logger's bindings carry it. */
  constructor(logger: Logger, enabled: boolean, _identity?: ServiceIdentity) {
    this.#logger = logger;
    this.enabled = enabled && logger.isLevelEnabled('info');
  }

  /**
   * `request`: the routed request's telemetry, whose span ids the line carries.
   * `clientAddress`: read when the request arrived (a request with a body loses its socket once answered).
   */
  write(
    req: IncomingMessage,
    status: number,
    requestId: string,
    target: AccessTarget,
    elapsedMs: number,
    request?: HttpRequestTelemetry,
    clientAddress = req.socket?.remoteAddress,
  ): void {
    if (!this.enabled) return;
    writeAccessLine(this.#logger, {
      status,
      durationNs: elapsedMs * 1e6,
      requestId,
      method: req.method ?? 'GET',
      url: req.url ?? '',
      route: target.routeName,
      clientAddress,
      upstream: target.upstream,
      destination: target.origin,
      correlation: correlationOf(request),
    });
  }

  /** An upstream failure; when the gateway answered (status given) the access line follows. */
  failure(
    req: IncomingMessage,
    requestId: string,
    target: AccessTarget,
    error: unknown,
    reason: string,
    request: HttpRequestTelemetry | undefined,
    status?: number,
    elapsedMs?: number,
    clientAddress?: string,
  ): void {
    const code = (error as { code?: unknown } | null)?.code;
    this.#logger.warn(
      correlate(
        {
          event: { kind: 'event', category: WEB, type: ERROR, action: 'upstream-failure', outcome: 'failure' },
          http: { request: { id: requestId, method: req.method }, route: target.routeName },
          labels: { upstream: target.upstream },
          error: {
            message: error instanceof Error ? error.message : String(error),
            ...(typeof code === 'string' ? { code } : {}),
          },
          ...(target.origin === undefined ? {} : { destination: { address: target.origin } }),
        },
        request,
      ),
      `${reason} (${target.upstream})`,
    );
    if (status !== undefined)
      this.write(req, status, requestId, target, elapsedMs ?? 0, request, clientAddress ?? req.socket?.remoteAddress);
  }
}
