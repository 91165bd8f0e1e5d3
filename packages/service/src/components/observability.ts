/** Telemetry (metrics, traces, anomaly detectors) and the live `anomaly` section. */
import type { TObject } from 'typebox';
import { followAnomalyConfig } from '@flotilla/telemetry';
import { createServiceTelemetry } from '@flotilla/telemetry';
import type { BaseProperties } from '../config-schema.ts';
import { type Component, component } from '../lifecycle.ts';
import { type Assembly, made } from './assembly.ts';

/** First to start, last to stop: spans of the shutdown itself are flushed too. */
export function telemetryComponent<S extends TObject<BaseProperties>, Deps>(a: Assembly<S, Deps>): Component {
  return component('telemetry', {
    start: async () => {
      a.telemetry = await createServiceTelemetry({
        identity: { service: a.definition.name, version: a.definition.version ?? '0.0.0', namespace: a.loaded.namespace },
        settings: { metrics: a.config.metrics, tracing: a.config.tracing, anomaly: a.config.anomaly },
        logger: a.logger,
      });
    },
    stop: () => a.telemetry?.shutdown(),
  });
}

/** Every detector (routes, methods, upstreams) takes a valid `anomaly` change at once. */
export function anomalyConfigComponent<S extends TObject<BaseProperties>, Deps>(a: Assembly<S, Deps>): Component {
  let unfollow: (() => void) | undefined;
  return component('anomaly config', {
    start: () => {
      unfollow = followAnomalyConfig(a.definition.name, made(a.reload, 'config reload'), made(a.telemetry, 'telemetry').anomalies);
    },
    stop: () => unfollow?.(),
  });
}
