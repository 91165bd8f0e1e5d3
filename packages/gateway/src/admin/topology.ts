/**
 * `GET /admin/topology`: the services and their instances as the registry
 * and the gateway's upstreams know them, with what the gateway's balancers
 * know of each (requests outstanding, ejected by passive health checks),
 * and the edges between them: the gateway to every upstream its route
 * table leads to, and each service to those it declares as dependencies.
 * "gateway" is a node like the others.
 */
import type { InstanceStats } from '@flotilla/discovery';
import type { RouteTable } from '../routes/table.ts';
import type { DeclaredDependency } from './declared-dependencies.ts';
import { instanceAddress, type KnownInstance } from './known-instances.ts';
import type { TopologyAnswer, TopologyEdgeAnswer, TopologyInstanceAnswer } from './live-view-schemas.ts';

export const GATEWAY_NODE = 'gateway';

export interface TopologyInput {
  instances: ReadonlyMap<string, readonly KnownInstance[]>;
  table: RouteTable;
  /** The gateway's balancer statistics of an upstream (empty for a service it does not call). */
  stats(service: string): InstanceStats[];
  declared: readonly DeclaredDependency[];
}

export function topology(input: TopologyInput): TopologyAnswer {
  const edges = [...routeEdges(input.table), ...input.declared.map(declaredEdge)];
  const names = new Set([GATEWAY_NODE, ...input.instances.keys(), ...edges.flatMap((edge) => [edge.from, edge.to])]);
  const services = [...names].sort().map((name) => {
    const stats = input.stats(name);
    return { name, instances: (input.instances.get(name) ?? []).map((instance) => instanceAnswer(instance, stats)) };
  });
  return { services, edges };
}

function instanceAnswer(instance: KnownInstance, stats: readonly InstanceStats[]): TopologyInstanceAnswer {
  // The resolver names a configured instance by its origin, a discovered one by its registry id.
  const seen = stats.find((s) => s.id === instance.id || s.id === instance.httpOrigin);
  const ejected = seen?.ejected ?? false;
  return {
    id: instance.id,
    address: instanceAddress(instance),
    ports: { ...instance.ports },
    region: instance.region || (seen?.region ?? ''),
    zone: instance.zone || (seen?.zone ?? ''),
    version: instance.version,
    healthy: instance.serving && !ejected,
    weight: instance.weight,
    outstanding: seen === undefined ? null : seen.inflight,
    ejected,
    source: instance.source,
  };
}

/** One edge per upstream the routes lead to, naming the route patterns (aggregation parts included). */
function routeEdges(table: RouteTable): TopologyEdgeAnswer[] {
  const routesByUpstream = new Map<string, Set<string>>();
  const add = (upstream: string, pattern: string): void => {
    const routes = routesByUpstream.get(upstream) ?? new Set<string>();
    routes.add(pattern);
    routesByUpstream.set(upstream, routes);
  };
  for (const route of table.routes) {
    if (route.kind === 'proxy') add(route.upstream, route.pattern.source);
    else for (const part of route.parts) add(part.upstream, route.pattern.source);
  }
  return [...routesByUpstream]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([to, routes]) => ({ from: GATEWAY_NODE, to, protocol: 'http' as const, routes: [...routes].sort(), source: 'routes' as const }));
}

function declaredEdge(dependency: DeclaredDependency): TopologyEdgeAnswer {
  return { from: dependency.from, to: dependency.to, protocol: dependency.protocol, routes: [], source: 'declared' };
}
