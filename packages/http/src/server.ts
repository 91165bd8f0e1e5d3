/**
 * The Fastify factory every service and the gateway use: TypeBox validation,
 * problem+json errors, request ids and context, an ECS access line per
 * request, JSON-only bodies with a size limit, and health endpoints.
 *
 * Every error is a problem, also those raised before any handler runs: the
 * HTTP parser's (`client-errors.ts`), the Node server's own answers
 * (`request-gate.ts`), the router's (bad URL, over-long parameter, no route:
 * 404 or 405 with `Allow`, `method-not-allowed.ts`) and the body parser's
 * (`json-body.ts`). No input makes the server answer 5xx; only a request
 * naming another HTTP major version gets 505.
 */
import { checkPathParamLimits, PATH_PARAM_MAX_UNITS } from './path-params.ts';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { registerAccessLog } from './access-log.ts';
import { registerAdmission } from '@flotilla/pipeline';
import { registerHttpTelemetry } from '@flotilla/telemetry';
import type { ServiceTelemetry } from '@flotilla/telemetry';
import { registerLoadShedding, type LoadSheddingOptions } from './load-shedding.ts';
import { classifyError, instanceOf, PROBLEM_CONTENT_TYPE, toProblem } from './problem.ts';
import { REQUEST_ID_HEADER, requestIdFrom } from '@flotilla/telemetry';
import { typeboxValidatorCompiler } from './validation.ts';
import { schemaCompilers } from './lazy-compilers.ts';
import { clientErrorHandler, ResponsesInFlight } from './client-errors.ts';
import { registerJsonBodyParser } from './json-body.ts';
import { answerUnrouted } from './method-not-allowed.ts';
import { connectListener, expectationListener, gatedRequestListener } from './request-gate.ts';
import { requestTargetProblem } from './request-target.ts';
import { RouteMethods, trackRouteMethods } from './route-methods.ts';
import { closeIfUndrainable, DRAIN_FACTOR } from './unread-body.ts';

export type HttpApp = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

export interface HttpServerOptions {
  logger: Logger;
  bodyLimitBytes?: number;
  keepAliveTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** RED metrics, a server span per request and anomaly detection (defineService passes its own). */
  telemetry?: ServiceTelemetry;
  /** Load shedding (resilience/shedding); defineService passes the `shedding` config section. */
  shedding?: LoadSheddingOptions;
}

/**
 * Serves a request ahead of Fastify's router, or returns false to hand it to
 * Fastify: the gateway's routed traffic, proxied as a stream, never needs
 * Fastify's request and reply objects.
 */
export type FrontHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

const fronts = new WeakMap<object, { handler: FrontHandler | undefined }>();

/** Puts `handler` in front of the app's routes (set before the app listens). */
export function setFrontHandler(app: HttpApp, handler: FrontHandler): void {
  const front = fronts.get(app);
  if (front === undefined) throw new Error('this app was not made by createHttpServer');
  front.handler = handler;
}

export function createHttpServer(options: HttpServerOptions): HttpApp {
  const front: { handler: FrontHandler | undefined } = { handler: undefined };
  const keepAliveTimeout = options.keepAliveTimeoutMs ?? 72_000;
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const inFlight = new ResponsesInFlight();
  const bodyLimit = options.bodyLimitBytes ?? 1_048_576;
  const drainLimit = bodyLimit * DRAIN_FACTOR;
  let draining = false;
  const routes = new RouteMethods();
  const app = Fastify({
    // Fastify's documented hook for owning the server: what it would make itself, with the gate and the front handler first.
    serverFactory: (fastifyHandler) => {
      const server = createServer(
        {
          requestTimeout,
          // Node looks for overdue requests every 30 s by default: a short timeout would take that long to be enforced.
          connectionsCheckingInterval: requestTimeout > 0 ? Math.max(100, Math.min(30_000, Math.floor(requestTimeout / 4))) : 30_000,
          // Node's own refusal has an empty body; the gate answers with a problem instead.
          requireHostHeader: false,
        },
        gatedRequestListener({ logger: options.logger, inFlight, front: () => front.handler, draining: () => draining }, fastifyHandler),
      );
      server.keepAliveTimeout = keepAliveTimeout;
      server.on('connect', connectListener(routes));
      server.on('checkExpectation', expectationListener);
      return server;
    },
    loggerInstance: options.logger as FastifyBaseLogger,
    // Our own ECS access line replaces Fastify's two per-request lines.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'http.request.id' }),
    requestIdHeader: false,
    genReqId: requestIdFrom,
    bodyLimit,
    routerOptions: { maxParamLength: PATH_PARAM_MAX_UNITS },
    // TypeBox validators and response serializers, each built on its route's first use (lazy-compilers.ts).
    schemaController: schemaCompilers(typeboxValidatorCompiler),
    keepAliveTimeout,
    requestTimeout,
    // The gate answers while draining, with a problem rather than Fastify's own body.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    clientErrorHandler: clientErrorHandler(options.logger, inFlight),
    // The router's own refusals (a path that does not decode, a parameter over maxParamLength) as problems.
    frameworkErrors: (error, request, reply: FastifyReply) => {
      const classified = classifyError(error);
      // An over-long target is not sent back.
      const problem = toProblem(classified, classified.code === 'uri-too-long' ? undefined : instanceOf(request.url), request.id);
      return reply.code(problem.status).header(REQUEST_ID_HEADER, request.id).type(PROBLEM_CONTENT_TYPE).send(problem);
    },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as HttpApp;
  // Before any route is added: the methods each path has, for 405's Allow.
  trackRouteMethods(app as unknown as FastifyInstance, routes);
  checkPathParamLimits(app as unknown as FastifyInstance);
  app.addHook('preClose', (done) => {
    draining = true;
    done();
  });

  app.setValidatorCompiler(typeboxValidatorCompiler);
  // JSON only: anything else is a 415, rather than a string the handler never expected.
  app.removeContentTypeParser('text/plain');
  // Bodies must be I-JSON: one reading for every parser downstream.
  registerJsonBodyParser(app as unknown as FastifyInstance);
  // Before the request-context hook, so the span is active for everything after it.
  if (options.telemetry !== undefined) registerHttpTelemetry(app as unknown as FastifyInstance, options.telemetry);

  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  // Before admission, and before any body is read: targets no schema can refuse, then 404 or 405 for unrouted ones.
  app.addHook('onRequest', (request, reply, done) => {
    const refused = requestTargetProblem(request.url);
    if (refused !== undefined) done(refused);
    else if (request.is404) answerUnrouted(routes, request, reply, drainLimit);
    else done();
  });
  // After telemetry and request ids, so a refusal is counted, logged and carries its request id.
  registerAdmission(app as unknown as FastifyInstance);
  if (options.shedding !== undefined)
    registerLoadShedding(app as unknown as FastifyInstance, {
      ...options.shedding,
      logger: options.logger,
      metrics: options.telemetry?.metrics,
    });

  app.setErrorHandler((error, request, reply) => {
    const classified = classifyError(error);
    const problem = toProblem(classified, classified.code === 'uri-too-long' ? undefined : instanceOf(request.url), request.id);
    if (classified.unexpected) {
      request.log.error(
        { err: error, http: { request: { id: request.id } } },
        `Unexpected error handling ${request.method} ${request.url.split('?')[0]}`,
      );
    }
    closeIfUndrainable(request, reply, drainLimit, (error as { code?: unknown }).code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH');
    return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
  });

  // A fallback: the onRequest hook above already answers every unrouted request.
  app.setNotFoundHandler((request, reply) => answerUnrouted(routes, request, reply, drainLimit));

  registerAccessLog(app as unknown as FastifyInstance);
  fronts.set(app, front);
  return app;
}
