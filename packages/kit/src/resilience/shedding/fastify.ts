/**
 * Load shedding on a Fastify app. The kit's HTTP server registers it for
 * every service (settings from the `shedding` config section, live through
 * the config centre). The `onRequest` hook runs before the body is read, so
 * a refused request costs almost nothing; every admitted request counts as
 * in flight until its response closes. A route opts out with
 * `config: { shed: false }`.
 */
import type { FastifyInstance } from 'fastify';
import { FlotillaError } from '../../errors.ts';
import type { MetricsRegistry } from '../../observability/metrics/registry.ts';
import { LoadShedder, type SheddingLogger, type ShedVerdict } from './load-shedder.ts';
import { parsePriority, PRIORITY_HEADER } from './priority.ts';
import type { SheddingSettings } from './settings.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: this route is never shed (health, metrics, admin…). */
    shed?: boolean;
  }
}

export interface LoadSheddingOptions {
  settings: SheddingSettings;
  /** Subscribes to new `shedding` values (already validated by the config centre); returns an unsubscribe. */
  subscribe?: (listener: (settings: unknown) => void) => () => void;
}

export interface RegisterLoadSheddingOptions extends LoadSheddingOptions {
  logger?: SheddingLogger | undefined;
  metrics?: MetricsRegistry | undefined;
}

const shedders = new WeakMap<object, LoadShedder>();

/** The shedder the kit registered on `app`: the gateway's raw request path shares it (one in-flight count). */
export function loadShedderOf(app: object): LoadShedder | undefined {
  return shedders.get(app);
}

export function registerLoadShedding(app: FastifyInstance, options: RegisterLoadSheddingOptions): LoadShedder {
  const shedder = new LoadShedder({ settings: options.settings, logger: options.logger, metrics: options.metrics });
  shedders.set(app, shedder);
  const unsubscribe = options.subscribe?.((settings) => shedder.update(settings as SheddingSettings));

  app.addHook('onReady', (done) => {
    shedder.start();
    done();
  });
  app.addHook('onClose', (_instance, done) => {
    unsubscribe?.();
    shedder.stop();
    done();
  });
  app.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.config?.shed !== false) {
      const verdict = shedder.shouldShed(request.url, parsePriority(request.headers[PRIORITY_HEADER]));
      if (verdict !== undefined) {
        reply.header('retry-after', String(verdict.retryAfterSeconds));
        done(overloadedError(verdict));
        return;
      }
    }
    shedder.track(reply.raw);
    done();
  });
  return shedder;
}

/** The 503 for a shed request (problem+json `https://flotilla.dev/problems/overloaded`); send `Retry-After` with it. */
export function overloadedError(verdict: ShedVerdict): FlotillaError {
  const cause = verdict.reason === 'event-loop-delay' ? 'its event loop is running late' : 'too many requests are in progress';
  return new FlotillaError('overloaded', `The service is overloaded (${cause}); retry in ${verdict.retryAfterSeconds} s`, {
    details: { reason: verdict.reason, retryAfter: verdict.retryAfterSeconds },
  });
}
