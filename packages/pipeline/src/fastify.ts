/**
 * The admission pipeline on a Fastify app: one `onRequest` hook runs the
 * route's compiled steps (compiled on the route's first request, from its
 * `config`), so a refused request's body is never read. An admitted request
 * gets `request.identity` and its answer the steps' headers; the handler
 * then runs in the request's context (its deadline, and a signal that fires
 * when the client leaves).
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { runWithContext } from '@flotilla/core';
import { FlotillaError } from '@flotilla/core';
import type { Identity } from '@flotilla/auth';
import type { RouteAuthRule } from '@flotilla/auth';
import { requestContext } from '@flotilla/resilience';
import { type Admission, type Admit, compileAdmission, Refusal, type StepFactory } from './admission.ts';
import { deadlineStep } from './steps/deadline.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling, on routes with `config.auth`; null when anonymous. */
    identity: Identity | null;
  }
  interface FastifyContextConfig {
    auth?: RouteAuthRule;
    /** Rate-limit policy of this route, or false: never limited. */
    rateLimit?: string | false;
    /** false: this route is never shed (health, metrics, admin…). */
    shed?: boolean;
  }
}

/** The steps of one app; add them before it listens (routes compile on their first request). */
export class FastifyAdmission {
  #factories: StepFactory[] = [deadlineStep];
  #compiled = new WeakMap<object, Admit>();

  use(factory: StepFactory): void {
    this.#factories = [...this.#factories, factory];
    this.#compiled = new WeakMap();
  }

  admitFor(request: FastifyRequest): Admit {
    const config = request.routeOptions.config;
    let admit = this.#compiled.get(config);
    if (admit === undefined) {
      admit = compileAdmission(
        {
          name: request.routeOptions.url ?? '',
          auth: config.auth,
          rateLimit: request.routeOptions.url === undefined ? false : config.rateLimit,
          shed: config.shed,
        },
        this.#factories,
      );
      this.#compiled.set(config, admit);
    }
    return admit;
  }
}

const admissions = new WeakMap<object, FastifyAdmission>();

/** The app's pipeline (registerAdmission made it). */
export function admissionOf(app: FastifyInstance | object): FastifyAdmission {
  const admission = admissions.get(app);
  if (admission === undefined) throw new Error('this app has no admission pipeline: build it with createHttpServer');
  return admission;
}

export function registerAdmission(app: FastifyInstance): FastifyAdmission {
  const pipeline = new FastifyAdmission();
  admissions.set(app, pipeline);
  app.decorateRequest('identity', null);
  app.addHook('onRequest', (request, reply, done) => {
    const inbound = {
      method: request.method,
      url: request.url,
      path: pathOf(request.url),
      headers: request.headers,
      clientAddress: request.ip,
      response: reply.raw,
    };
    const settle = (result: Admission | Refusal): void => {
      if (result instanceof Refusal) {
        setHeaders(reply, result.headers);
        done(result.error);
        return;
      }
      request.identity = result.identity;
      setHeaders(reply, result.responseHeaders);
      // The context's signal also fires if the client leaves before the answer, so the work stops.
      const clientGone = new AbortController();
      reply.raw.once('close', function (this: ServerResponse) {
        if (!this.writableFinished) clientGone.abort(new FlotillaError('unavailable', 'The client went away before the answer'));
      });
      runWithContext(requestContext(request.id, result.deadline, clientGone.signal), done);
    };
    const result = pipeline.admitFor(request)(inbound);
    if (result instanceof Promise) result.then(settle, done);
    else settle(result);
  });
  return pipeline;
}

function setHeaders(reply: FastifyReply, headers: readonly string[]): void {
  for (let i = 0; i < headers.length; i += 2) reply.header(headers[i] as string, headers[i + 1]);
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
