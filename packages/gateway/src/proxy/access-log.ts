/**
 * The ECS access line for requests the gateway handles below Fastify
 * (proxied and aggregated), in the same shape as the kit's access line,
 * plus which route and upstream served it.
 */
import type { IncomingMessage } from 'node:http';
import { ecsFormat } from '@elastic/ecs-pino-format';
import type { Logger } from '@flotilla/kit';
import { pino, symbols, type DestinationStream } from 'pino';

export interface ServiceIdentity {
  service: string;
  version: string;
  environment: string;
}

/**
 * A lean ECS logger for access lines, writing to the service logger's own
 * destination. The kit's logger redacts with wildcard paths and stamps trace
 * correlation on every line, ~120 µs per line here, more than the whole
 * proxied request; access lines carry only the fields built below (no
 * headers, no bodies), so they need neither.
 */
function accessLogger(logger: Logger, identity: ServiceIdentity): Logger {
  const destination = (logger as unknown as Record<symbol, DestinationStream | undefined>)[symbols.streamSym];
  if (destination === undefined) return logger;
  return pino(
    { ...ecsFormat({ serviceName: identity.service, serviceVersion: identity.version, serviceEnvironment: identity.environment, convertErr: true, convertReqRes: false, apmIntegration: false }), level: logger.level },
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

  write(req: IncomingMessage, status: number, requestId: string, target: AccessTarget, elapsedMs: number): void {
    if (!this.enabled) return;
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const fields = {
      event: { kind: 'event', category: WEB, type: ACCESS, outcome: status >= 500 ? 'failure' : 'success', duration: Math.round(elapsedMs * 1e6) },
      http: { request: { id: requestId, method: req.method }, response: { status_code: status }, route: target.routeName },
      url: query === -1 ? { path } : { path, query: url.slice(query + 1) },
      client: { address: req.socket.remoteAddress },
      labels: { upstream: target.upstream },
      ...(target.origin === undefined ? {} : { destination: { address: target.origin } }),
    };
    const line = `${req.method} ${path} ${status}`;
    if (status >= 500) this.#access.error(fields, line);
    else this.#access.info(fields, line);
  }

  /** An upstream failure; when the gateway answered (status given) the access line follows. */
  failure(req: IncomingMessage, requestId: string, target: AccessTarget, error: unknown, reason: string, status?: number, elapsedMs?: number): void {
    const code = (error as { code?: unknown } | null)?.code;
    this.#logger.warn(
      {
        event: { kind: 'event', category: WEB, type: ERROR, action: 'upstream-failure', outcome: 'failure' },
        http: { request: { id: requestId, method: req.method }, route: target.routeName },
        labels: { upstream: target.upstream },
        error: { message: error instanceof Error ? error.message : String(error), ...(typeof code === 'string' ? { code } : {}) },
        ...(target.origin === undefined ? {} : { destination: { address: target.origin } }),
      },
      `${reason} (${target.upstream})`,
    );
    if (status !== undefined) this.write(req, status, requestId, target, elapsedMs ?? 0);
  }
}
