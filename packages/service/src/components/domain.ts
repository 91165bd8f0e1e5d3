/** The service's own `setup` (its domain: stores, clients) and `close`. */
import type { Static, TObject } from 'typebox';
import { withTelemetry } from '@flotilla/telemetry';
import type { BaseProperties } from '../config-schema.ts';
import { type Component, component } from '../lifecycle.ts';
import type { ServiceContext } from '../types.ts';
import { type Assembly, made } from './assembly.ts';

export function serviceContext<S extends TObject<BaseProperties>, Deps>(a: Assembly<S, Deps>): ServiceContext<Static<S>> {
  return {
    name: a.definition.name,
    namespace: a.loaded.namespace,
    config: a.config,
    logger: a.logger,
    database: a.database,
    telemetry: made(a.telemetry, 'telemetry'),
    reload: made(a.reload, 'config reload'),
    discovery: made(a.discovery, 'discovery').discovery,
    auth: made(a.authenticator, 'authenticator'),
    configStore: a.loaded.store,
  };
}

export function domainComponent<S extends TObject<BaseProperties>, Deps>(a: Assembly<S, Deps>): Component {
  let set = false;
  return component('setup', {
    start: async () => {
      const context = serviceContext(a);
      a.context = context;
      const setup = a.definition.setup;
      a.deps = (setup === undefined ? undefined : await withTelemetry(made(a.telemetry, 'telemetry'), () => setup(context))) as Deps;
      set = true;
    },
    stop: async () => {
      if (set && a.definition.close !== undefined) await a.definition.close(a.deps as Deps);
    },
  });
}
