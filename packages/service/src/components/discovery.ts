/**
 * Discovery: the registry opens early (the domain's clients find peers
 * through it); this instance registers last, once it is ready, and leaves
 * the registry first on stop, so callers stop picking it before it drains.
 */
import type { TObject } from 'typebox';
import type { BaseProperties } from '../config-schema.ts';
import { openServiceDiscovery } from '../discovery.ts';
import { type Component, component } from '../lifecycle.ts';
import { type Assembly, made } from './assembly.ts';

export function discoveryComponent<S extends TObject<BaseProperties>, Deps>(a: Assembly<S, Deps>): Component {
  return component('discovery', {
    start: () => {
      a.discovery = openServiceDiscovery({
        service: a.definition.name,
        version: a.definition.version ?? '0.0.0',
        namespace: a.loaded.namespace,
        settings: a.config.discovery,
        env: a.options.env ?? process.env,
        logger: a.logger,
      });
    },
    stop: () => a.discovery?.close(),
  });
}

/** Ready (health turns SERVING), then registered; on stop: deregistered, then not ready. */
export function readinessComponent<S extends TObject<BaseProperties>, Deps>(a: Assembly<S, Deps>, reason: () => string): Component {
  return component('readiness', {
    start: async () => {
      a.ready = true;
      a.grpc?.server.refreshHealth();
      // A worker of a group: the group's primary registers the group.
      if (a.options.worker !== undefined) return;
      const { http, grpc } = a;
      await made(a.discovery, 'discovery').register(
        {
          ports: { ...(http === undefined ? {} : { http: http.port }), ...(grpc === undefined ? {} : { grpc: grpc.port }) },
          hosts: [...(http === undefined ? [] : [http.host]), ...(grpc === undefined ? [] : [grpc.host])],
        },
        made(a.reload, 'config reload'),
      );
    },
    stop: async () => {
      await a.discovery?.deregister(Math.min(2_000, a.config.shutdown.timeoutMs));
      a.ready = false;
      const why = reason();
      a.logger.info({ event: { action: 'stopping', reason: why } }, `${a.definition.name} shutting down: ${why}`);
      a.grpc?.server.refreshHealth();
    },
  });
}
