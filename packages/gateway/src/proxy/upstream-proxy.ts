/**
 * The one proxy path: every routed request runs under its upstream's guard
 * (deadline → bulkhead → breaker → retry with budget → fault; the parts the
 * config leaves off are not in the stack). Each attempt picks an instance
 * and is a `ProxyExchange` that holds the upstream's answer at its headers,
 * so a 502/503/504 or a refused connection can be retried on another
 * instance before the client has seen anything.
 * Only requests without a body are retried (a streamed body cannot be sent
 * twice), and only idempotent ones (GET, HEAD, PUT, DELETE, OPTIONS, or an
 * `Idempotency-Key`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FlotillaError } from '@flotilla/kit';
import type { HttpRequestTelemetry } from '@flotilla/telemetry';
import {
  Cancellation,
  isIdempotentHttp,
  type Deadline,
  type ExecutionContext,
  type FaultSpec,
  type UpstreamGuards,
} from '@flotilla/resilience';
import type { Dispatcher } from 'undici';
import type { UpstreamResolver } from '../upstream/resolver.ts';
import { statusCountsAsFailure } from '../upstream/resolver.ts';
import type { AccessLog } from './access-log.ts';
import { ProxyExchange, upstreamProblem, type ExchangeTarget } from './exchange.ts';
import type { GatewayProblem } from './problem.ts';
import type { UpstreamTelemetry } from './upstream-telemetry.ts';

export interface UpstreamProxyDeps {
  guards: UpstreamGuards;
  resolver: UpstreamResolver;
  pool(origin: string): Dispatcher;
  upstreams: UpstreamTelemetry;
  accessLog: AccessLog;
}

export interface ProxiedRequest {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  request: HttpRequestTelemetry;
  /** Everything but the origin, which each attempt picks. */
  target: Omit<ExchangeTarget, 'origin'>;
  path: string;
  headers: string[];
  hasBody: boolean;
  deadline: Deadline;
  extraHeaders: readonly string[];
  /** Sends the refusal the client gets when no attempt produced an answer. */
  refuse(problem: GatewayProblem, error: unknown): void;
  /** The client left before any answer: record it (499). */
  abandoned(): void;
}

export function proxyUpstream(deps: UpstreamProxyDeps, r: ProxiedRequest): void {
  // A malformed `x-flotilla-fault` is the client's mistake (400); thrown from here it would take the process down.
  let fault: FaultSpec | undefined;
  try {
    fault = deps.guards.faultFromHeaders(r.req.headers);
  } catch (error) {
    r.refuse(problemFor(error, r.target), error);
    return;
  }
  const clientGone = Cancellation.create();
  const res = r.res as WatchedResponse;
  res[kClientGone] = clientGone;
  res.on('close', onGuardedResponseClose);
  const method = r.req.method as string;
  let current: ProxyExchange | undefined;

  const attempt = (ctx: ExecutionContext): Promise<ProxyExchange> => {
    current?.discard();
    current = undefined;
    const picked = deps.resolver.pick(r.target.upstream);
    if (picked === undefined)
      return Promise.reject(
        new FlotillaError('bad-gateway', `Upstream ${r.target.upstream} has no available instance`, {
          details: { upstream: r.target.upstream },
        }),
      );
    const remaining = Math.max(1, Math.floor(ctx.deadline.remaining()));
    const headers = [...r.headers, 'x-request-timeout', String(remaining)];
    const call = deps.upstreams.start(r.request, r.target.upstream, picked, method, r.path, headers);
    call.countFaultDelay(ctx.faultDelayMs);
    const timeoutMs = Math.min(r.target.timeoutMs, remaining);
    return new Promise<ProxyExchange>((resolve, reject) => {
      // Assigned below, before the dispatch that can call back.
      let settle: () => void;
      const target: ExchangeTarget = {
        routeName: r.target.routeName,
        upstream: r.target.upstream,
        origin: picked.origin,
        timeoutMs,
        publicLocation: r.target.publicLocation,
      };
      const exchange = new ProxyExchange(r.req, r.res, r.requestId, target, deps.accessLog, r.request, call, {
        held: (held) => {
          settle();
          resolve(held);
        },
        failed: (error) => {
          settle();
          reject(error);
        },
        holds: statusCountsAsFailure,
      });
      settle = ctx.cancellation.onAbort((reason) => exchange.cancel(reason instanceof Error ? reason : new Error('attempt cancelled')));
      exchange.extraHeaders = r.extraHeaders;
      current = exchange;
      const options: Dispatcher.DispatchOptions = {
        path: r.path,
        method: method as Dispatcher.HttpMethod,
        headers,
        body: r.hasBody ? r.req : null,
        headersTimeout: timeoutMs,
      };
      try {
        deps.pool(picked.origin).dispatch(options, exchange);
      } catch (error) {
        exchange.onResponseError(null, error as Error);
      }
    });
  };

  deps.guards
    .execute(r.target.upstream, attempt, {
      cancellation: clientGone,
      deadline: r.deadline,
      idempotent: !r.hasBody && isIdempotentHttp(method, r.req.headers),
      fault,
      failureOf: (exchange) =>
        statusCountsAsFailure(exchange.status)
          ? new FlotillaError('unavailable', `Upstream ${r.target.upstream} answered ${exchange.status}`)
          : undefined,
    })
    .then(
      (exchange) => {
        res[kClientGone] = undefined;
        exchange.forward();
      },
      (error: unknown) => {
        res[kClientGone] = undefined;
        // An answer already on its way to the client (the guard gave up a moment after it arrived) is left to finish.
        if (current?.answering === true) return;
        current?.discard();
        if (clientGone.aborted) return r.abandoned();
        r.refuse(problemFor(error, r.target), error);
      },
    );
}

/** The guarded call's "client went away" signal, on the response: one shared `close` listener, no closure per request. */
const kClientGone = Symbol('flotilla.gateway.clientGone');
type WatchedResponse = ServerResponse & { [kClientGone]?: Cancellation | undefined };

function onGuardedResponseClose(this: WatchedResponse): void {
  const clientGone = this[kClientGone];
  if (clientGone === undefined) return;
  this[kClientGone] = undefined;
  if (!this.writableFinished) clientGone.abort(new Error('client went away'));
}

/** What the client is told when the guard gave up. */
export function problemFor(error: unknown, target: Omit<ExchangeTarget, 'origin'>): GatewayProblem {
  if (error instanceof FlotillaError && error.code === 'deadline-exceeded' && error.httpStatus === undefined) {
    return {
      code: 'deadline-exceeded',
      detail: `Upstream ${target.upstream} did not answer within ${target.timeoutMs} ms`,
      extensions: { upstream: target.upstream },
    };
  }
  if (error instanceof FlotillaError) {
    const retryAfter = error.code === 'circuit-open' || error.code === 'overloaded' ? ['retry-after', '1'] : undefined;
    return {
      code: error.code,
      detail: error.message,
      extensions: { upstream: target.upstream, ...error.details },
      status: error.httpStatus,
      ...(retryAfter === undefined ? {} : { headers: retryAfter }),
    };
  }
  return upstreamProblem(error, { ...target, origin: '' });
}
