/**
 * Load shedding on a Fastify app. The kit's HTTP server registers it for
 * every service (settings from the `shedding` config section, live through
 * the config centre) as the first step of the app's admission pipeline, so
 * a refused request costs almost nothing; every admitted request counts as
 * in flight until its response closes. A route opts out with
 * `config: { shed: false }`.
 */
import type { FastifyInstance } from 'fastify';
import type { MetricsRegistry } from '@flotilla/telemetry';
import { admissionOf } from '@flotilla/pipeline';
import { shedStep } from '@flotilla/pipeline';
import { LoadShedder, type SheddingLogger } from '@flotilla/resilience';
import type { SheddingSettings } from '@flotilla/resilience';

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
  admissionOf(app).use(shedStep(shedder));
  return shedder;
}
