/**
 * The Fastify factory every service and the gateway use: TypeBox validation,
 * problem+json errors, request ids and context, an ECS access line per
 * request, JSON-only bodies with a size limit, and health endpoints.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerAccessLog } from './access-log.ts';
import { registerAdmission } from '@flotilla/pipeline';
import { registerHttpTelemetry } from '@flotilla/telemetry';
import type { ServiceTelemetry } from '@flotilla/telemetry';
import { registerLoadShedding, type LoadSheddingOptions } from './load-shedding.ts';
import { classifyError, PROBLEM_CONTENT_TYPE, toProblem } from './problem.ts';
import { REQUEST_ID_HEADER, requestIdFrom } from '@flotilla/telemetry';
import { typeboxValidatorCompiler } from './validation.ts';

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
  const app = Fastify({
    // Fastify's documented hook for owning the server: what it would make itself, with the front handler first.
    serverFactory: (fastifyHandler) => {
      const server = createServer((req, res) => {
        const handler = front.handler;
        if (handler === undefined || !handler(req, res)) fastifyHandler(req, res);
      });
      server.keepAliveTimeout = keepAliveTimeout;
      server.requestTimeout = requestTimeout;
      return server;
    },
    loggerInstance: options.logger as FastifyBaseLogger,
    // Our own ECS access line replaces Fastify's two per-request lines.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'http.request.id' }),
    requestIdHeader: false,
    genReqId: requestIdFrom,
    bodyLimit: options.bodyLimitBytes ?? 1_048_576,
    keepAliveTimeout,
    requestTimeout,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as HttpApp;

  app.setValidatorCompiler(typeboxValidatorCompiler);
  // JSON only: anything else is a 415, rather than a string the handler never expected.
  app.removeContentTypeParser('text/plain');
  // Before the request-context hook, so the span is active for everything after it.
  if (options.telemetry !== undefined) registerHttpTelemetry(app as unknown as FastifyInstance, options.telemetry);

  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
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
    const problem = toProblem(classified, request.url, request.id);
    if (classified.unexpected) {
      request.log.error(
        { err: error, http: { request: { id: request.id } } },
        `Unexpected error handling ${request.method} ${request.url.split('?')[0]}`,
      );
    }
    if (problem.status === 413 || problem.status === 400) reply.header('connection', reply.raw.headersSent ? undefined : 'close');
    return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
  });

  app.setNotFoundHandler((request, reply) => {
    const problem = toProblem(
      {
        code: 'not-found',
        detail: `No route for ${request.method} ${request.url.split('?')[0]}`,
        extensions: {},
        unexpected: false,
      },
      request.url,
      request.id,
    );
    return reply.code(404).type(PROBLEM_CONTENT_TYPE).send(problem);
  });

  registerAccessLog(app as unknown as FastifyInstance);
  fronts.set(app, front);
  return app;
}
