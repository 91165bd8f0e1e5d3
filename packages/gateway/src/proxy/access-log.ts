/**
 * The ECS access line for requests the gateway handles below Fastify
 * (proxied and aggregated), in the same shape as the kit's access line,
 * plus which route and upstream served it.
 */
import type { IncomingMessage } from 'node:http';
import { isSpanContextValid } from '@opentelemetry/api';
import { ecsFormat } from '@elastic/ecs-pino-format';
import type { Logger } from '@flotilla/kit';
import type { HttpRequestTelemetry } from '@flotilla/telemetry';
import { pino, symbols, type DestinationStream } from 'pino';

export interface ServiceIdentity {
  service: string;
  version: string;
  environment: string;
}

/**
 * A lean ECS logger for access lines, writing to the service logger's own
 * destination. The kit's logger redacts with wildcard paths and stamps trace
 * correlation on every line, which costs more than the whole proxied request
 * (bench/gateway/README.md); access lines carry only the fields built below (no
 * headers, no bodies), so they need no redaction, and their trace ids are
 * taken from the request's span directly (`correlate`).
 */
function accessLogger(logger: Logger, identity: ServiceIdentity): Logger {
  const destination = (logger as unknown as Record<symbol, DestinationStream | undefined>)[symbols.streamSym];
  if (destination === undefined) return logger;
  return pino(
    {
      ...ecsFormat({
        serviceName: identity.service,
        serviceVersion: identity.version,
        serviceEnvironment: identity.environment,
        convertErr: true,
        convertReqRes: false,
        apmIntegration: false,
      }),
      level: logger.level,
    },
    destination,
  );
}

const WEB = ['web'];
const ACCESS = ['access'];
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

export class AccessLog {
  readonly #logger: Logger;
  readonly #access: Logger;
  /** Access lines on or off (`proxy.accessLog`); failures are always logged (through the service logger). */
  readonly enabled: boolean;

  constructor(logger: Logger, enabled: boolean, identity: ServiceIdentity) {
    this.#logger = logger;
    this.#access = accessLogger(logger, identity);
    this.enabled = enabled && this.#access.isLevelEnabled('info');
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
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const fields: Record<string, unknown> = {
      event: {
        kind: 'event',
        category: WEB,
        type: ACCESS,
        outcome: status >= 500 ? 'failure' : 'success',
        duration: Math.round(elapsedMs * 1e6),
      },
      http: {
        request: { id: requestId, method: req.method },
        response: { status_code: status },
        route: target.routeName,
      },
      url: query === -1 ? { path } : { path, query: url.slice(query + 1) },
      client: { address: clientAddress },
      labels: { upstream: target.upstream },
      ...(target.origin === undefined ? {} : { destination: { address: target.origin } }),
    };
    correlate(fields, request);
    const line = `${req.method} ${path} ${status}`;
    if (status >= 500) this.#access.error(fields, line);
    else this.#access.info(fields, line);
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
