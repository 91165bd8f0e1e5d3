/**
 * The request path for routed traffic, below Fastify: look the path up in
 * the current route table, then proxy it or run its aggregation. Anything the
 * table does not route goes on to Fastify (health, OpenAPI, docs, 404).
 *
 * Every routed request is measured here as the kit's Fastify hooks would:
 * `telemetry.requests.start(req, <route pattern>)` (RED metrics by route
 * template, SERVER span continuing `traceparent`, the route's anomaly
 * detector), ended once with the status the client got.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { IDENTITY_HEADER, type Identity } from '@flotilla/http';
import { CLIENT_CLOSED_REQUEST, type HttpRequestTelemetry } from '@flotilla/telemetry';
import { type Admission, type Inbound, Refusal } from '@flotilla/pipeline';
import type { Dispatcher } from 'undici';
import { runAggregation, type AggregationResult } from './aggregate/run.ts';
import type { AccessLog } from './proxy/access-log.ts';
import { upstreamRequestHeaders } from './proxy/headers.ts';
import { proxyUpstream, type UpstreamProxyDeps } from './proxy/upstream-proxy.ts';
import { sendProblem, type GatewayProblem } from './proxy/problem.ts';
import { refusalProblem } from './policies/admission.ts';
import type { GatewayPolicies } from './policies/gateway-policies.ts';
import type { GatewayTelemetry } from './proxy/telemetry.ts';
import type { MatchResult } from './routes/pattern.ts';
import type { AggregationRoute, ProxyRoute, RouteTable } from './routes/table.ts';
import type { UpstreamResolver } from './upstream/resolver.ts';

/** What one request sees from start to end, even if a reload swaps the table meanwhile. */
export interface RoutingSnapshot {
  readonly table: RouteTable;
  readonly resolver: UpstreamResolver;
}

export interface DispatchContext {
  snapshot(): RoutingSnapshot;
  pool(origin: string): Dispatcher;
  readonly accessLog: AccessLog;
  readonly telemetry: GatewayTelemetry;
  /** Auth, rate limits, upstream guards and shedding (hot-reloaded in place). */
  readonly policies: GatewayPolicies;
  /** What every proxied call uses (guards, resolver, pools, telemetry, access log), made once. */
  readonly upstreamProxy: UpstreamProxyDeps;
  /** True once shutdown began: new routed requests get 503 and a closed connection. */
  closing(): boolean;
}

/** Returns false when the request is not routed, for the caller to hand on. */
export function dispatchRouted(context: DispatchContext, req: IncomingMessage, res: ServerResponse): boolean {
  const url = req.url as string;
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  const snapshot = context.snapshot();
  const method = req.method as string;
  const found = snapshot.table.lookup(method, path);
  if (found.found === 'none') return false;

  // The route's pattern is the metrics' and span's route template (never the raw path).
  const template = found.found === 'route' ? found.route.pattern.source : matchingPattern(snapshot.table, path);
  const request = context.telemetry.requests.start(req, template);
  const proto = (req.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http';
  const outgoing = upstreamRequestHeaders(req, proto, request.context !== undefined);
  const requestId = outgoing.requestId;
  if (context.closing()) {
    sendProblem(res, { code: 'unavailable', detail: 'The gateway is shutting down' }, url, requestId, true);
    request.end(sentStatus(res));
    return true;
  }
  if (hasDotSegment(path)) {
    sendProblem(res, { code: 'bad-request', detail: 'The path contains "." or ".." segments' }, url, requestId, outgoing.hasBody);
    request.end(sentStatus(res));
    return true;
  }
  if (found.found === 'method-not-allowed') {
    sendProblem(
      res,
      {
        code: 'method-not-allowed',
        detail: `${method} is not allowed here`,
        headers: ['allow', found.allow.join(', ')],
      },
      url,
      requestId,
      outgoing.hasBody,
    );
    request.end(sentStatus(res));
    return true;
  }

  const route = found.route;
  if (route.kind === 'proxy' && declaredLength(req) > route.bodyLimitBytes) {
    // Refused unread: an upstream would refuse it too, but might close mid-upload, which reads as a 502.
    sendProblem(res, { code: 'payload-too-large', detail: `The request body is over ${route.bodyLimitBytes} bytes` }, url, requestId, true);
    request.end(sentStatus(res));
    return true;
  }
  if (route.kind === 'aggregation') {
    void aggregate(context, snapshot, route, found.match, req, res, outgoing.headers, requestId, request);
    return true;
  }
  proxy(
    context,
    route,
    found.match,
    req,
    res,
    path,
    query === -1 ? '' : url.slice(query),
    outgoing.headers,
    outgoing.hasBody,
    requestId,
    request,
  );
  return true;
}

/** The body size the client announced (0 without a Content-Length: a chunked body is bounded by the upstream). */
function declaredLength(req: IncomingMessage): number {
  const declared = req.headers['content-length'];
  return declared === undefined ? 0 : Number(declared);
}

/** The status the client got; none (its connection was gone before an answer) is recorded as 499. */
function sentStatus(res: ServerResponse): number {
  return res.headersSent ? res.statusCode : CLIENT_CLOSED_REQUEST;
}

/** For a 405 (no route allows the method): the pattern of the most specific route the path matched. */
function matchingPattern(table: RouteTable, path: string): string | undefined {
  return table.routes.find((route) => route.pattern.match(path) !== undefined)?.pattern.source;
}

function proxy(
  context: DispatchContext,
  route: ProxyRoute,
  match: MatchResult,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  search: string,
  headers: string[],
  hasBody: boolean,
  requestId: string,
  request: HttpRequestTelemetry,
): void {
  const target = { routeName: route.name, upstream: route.upstream };
  // An admitted request's RateLimit headers go on every answer, refusals included.
  let admitted: readonly string[] = [];
  const refuse = (problem: GatewayProblem, error: unknown, message = problem.detail): void => {
    sendProblem(
      res,
      admitted.length === 0 ? problem : { ...problem, headers: [...(problem.headers ?? []), ...admitted] },
      req.url as string,
      requestId,
      hasBody,
    );
    const status = sentStatus(res);
    request.end(status);
    context.accessLog.failure(req, requestId, target, error, message, request, status, 0);
  };
  const proceed = (admission: Admission | Refusal): void => {
    if (admission instanceof Refusal) {
      refuse(refusalProblem(admission), admission.error);
      return;
    }
    admitted = admission.responseHeaders;
    const upstreamPath = route.upstreamPath(path, match) + search;
    if (admission.identity !== null)
      forwardIdentity(context.policies, admission.identity, req.method as string, upstreamPath, requestId, headers);
    proxyUpstream(context.upstreamProxy, {
      req,
      res,
      requestId,
      request,
      target: {
        routeName: route.name,
        upstream: route.upstream,
        timeoutMs: Math.min(route.timeoutMs, Math.max(1, Math.floor(admission.deadline.remaining()))),
        publicLocation: route.publicLocation,
      },
      path: upstreamPath,
      headers,
      hasBody,
      deadline: admission.deadline,
      extraHeaders: admitted,
      refuse: (problem, error) => refuse(problem, error, `${route.upstream}: ${problem.detail}`),
      abandoned: () => {
        request.end(CLIENT_CLOSED_REQUEST);
        context.accessLog.write(req, CLIENT_CLOSED_REQUEST, requestId, target, 0, request);
      },
    });
  };
  const admission = context.policies.admission.for(route.policy)(inboundOf(req, res, path));
  if (admission instanceof Promise)
    admission.then(proceed, (error: unknown) =>
      refuse({ code: 'internal', detail: 'An unexpected error occurred' }, error, 'admission failed unexpectedly'),
    );
  else proceed(admission);
}

/** The request as the admission steps see it. */
function inboundOf(req: IncomingMessage, res: ServerResponse, path: string): Inbound {
  return {
    method: req.method as string,
    url: req.url as string,
    path,
    headers: req.headers,
    clientAddress: req.socket.remoteAddress,
    response: res,
  };
}

/** The verified caller, for the upstream to trust (signed, bound to this request), when an identity secret is configured. */
function forwardIdentity(
  policies: GatewayPolicies,
  identity: Identity,
  method: string,
  target: string,
  requestId: string,
  headers: string[],
): void {
  if (policies.authenticator.settings.identityHeader === undefined) return;
  headers.push(IDENTITY_HEADER, policies.authenticator.signIdentityHeader(identity, { method, target, requestId }));
}

/** Headers the parts should not inherit from the client's request. */
const NOT_FOR_PARTS = new Set([
  'content-length',
  'content-type',
  'accept',
  'accept-encoding',
  'if-none-match',
  'if-modified-since',
  'range',
]);

async function aggregate(
  context: DispatchContext,
  snapshot: RoutingSnapshot,
  route: AggregationRoute,
  match: MatchResult,
  req: IncomingMessage,
  res: ServerResponse,
  headers: string[],
  requestId: string,
  request: HttpRequestTelemetry,
): Promise<void> {
  const started = performance.now();
  const target = { routeName: route.name, upstream: route.parts.map((p) => p.upstream).join(',') };
  let admission = context.policies.admission.for(route.policy)(inboundOf(req, res, req.url?.split('?')[0] ?? '/'));
  if (admission instanceof Promise) admission = await admission;
  if (admission instanceof Refusal) {
    const problem = refusalProblem(admission);
    sendProblem(res, problem, req.url as string, requestId);
    request.end(sentStatus(res));
    context.accessLog.failure(
      req,
      requestId,
      target,
      admission.error,
      problem.detail,
      request,
      res.statusCode,
      performance.now() - started,
    );
    return;
  }
  const deadline = admission.deadline;
  const identity = admission.identity;
  const responseHeaders = admission.responseHeaders;
  const partHeaders: string[] = ['accept', 'application/json'];
  for (let i = 0; i < headers.length; i += 2) {
    if (!NOT_FOR_PARTS.has((headers[i] as string).toLowerCase())) partHeaders.push(headers[i] as string, headers[i + 1] as string);
  }
  const clientGone = new AbortController();
  const onClose = (): void => {
    if (!res.writableFinished) clientGone.abort();
  };
  res.on('close', onClose);

  const policies = context.policies;
  let result: AggregationResult;
  try {
    result = await runAggregation(
      route,
      match,
      partHeaders,
      {
        resolver: snapshot.resolver,
        pool: (origin) => context.pool(origin),
        upstreams: context.telemetry.upstreams,
        request,
        guards: policies.guards,
        deadline,
        clientHeaders: req.headers,
        partHeaders:
          identity === null || policies.authenticator.settings.identityHeader === undefined
            ? undefined
            : (path) => [IDENTITY_HEADER, policies.authenticator.signIdentityHeader(identity, { method: 'GET', target: path, requestId })],
      },
      clientGone.signal,
    );
  } catch (error) {
    sendProblem(res, { code: 'internal', detail: 'An unexpected error occurred' }, req.url as string, requestId);
    request.end(sentStatus(res));
    context.accessLog.failure(
      req,
      requestId,
      target,
      error,
      `aggregation ${route.name} failed unexpectedly`,
      request,
      500,
      performance.now() - started,
    );
    return;
  } finally {
    res.off('close', onClose);
  }
  for (const [part, outcome] of Object.entries(result.failures)) {
    if (!outcome.ok)
      context.accessLog.failure(
        req,
        requestId,
        { routeName: route.name, upstream: route.parts.find((p) => p.name === part)?.upstream ?? part },
        new Error(outcome.detail),
        `aggregation ${route.name}: part ${part} missing (${outcome.reason})`,
        request,
      );
  }
  if (clientGone.signal.aborted || res.destroyed) {
    request.end(CLIENT_CLOSED_REQUEST);
    return;
  }

  if (result.ok) {
    sendJson(
      res,
      req.method === 'HEAD',
      200,
      JSON.stringify(result.body),
      'application/json',
      requestId,
      result.partial.length > 0 ? ['x-flotilla-partial', result.partial.join(','), ...responseHeaders] : responseHeaders,
    );
  } else if (
    result.upstreamStatus !== undefined &&
    result.upstreamStatus >= 400 &&
    result.upstreamStatus < 500 &&
    isObject(result.upstreamBody)
  ) {
    // The required part's own client error (its problem document) is the answer, located at the public URL.
    const body = { ...result.upstreamBody, instance: req.url, requestId, part: result.part };
    sendJson(res, req.method === 'HEAD', result.upstreamStatus, JSON.stringify(body), 'application/problem+json', requestId, []);
  } else {
    sendProblem(res, result.problem, req.url as string, requestId);
  }
  request.end(sentStatus(res));
  context.accessLog.write(req, res.statusCode, requestId, target, performance.now() - started, request);
}

function sendJson(
  res: ServerResponse,
  head: boolean,
  status: number,
  body: string,
  type: string,
  requestId: string,
  extra: readonly string[],
): void {
  res.writeHead(status, [
    'content-type',
    type,
    'content-length',
    String(Buffer.byteLength(body)),
    'x-request-id',
    requestId,
    'cache-control',
    'no-store',
    ...extra,
  ]);
  res.end(head ? undefined : body);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `.`/`..` segments (also percent-encoded) would let a path escape its route's prefix upstream. */
function hasDotSegment(path: string): boolean {
  if (!path.includes('/.') && !path.includes('%2')) return false;
  for (const segment of path.split('/')) {
    const decoded = segment.replace(/%2e/gi, '.');
    if (decoded === '.' || decoded === '..') return true;
  }
  return false;
}
