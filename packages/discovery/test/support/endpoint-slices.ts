/**
 * For the kubernetes discovery suites: EndpointSlices as the EndpointSlice
 * controller writes them (ports named http, grpc and metrics; Pod references;
 * zones), built by hand for the mapping tests and for a real API server.
 */
import type { Endpoint, EndpointSlice } from '../../src/kubernetes/endpoint-slices.ts';
import type { Instance } from '../../src/types.ts';

export const ports = [
  { name: 'http', port: 8080, protocol: 'TCP' },
  { name: 'grpc', port: 9090, protocol: 'TCP' },
  { name: 'metrics', port: 9100, protocol: 'TCP' },
];

export function endpoint(
  pod: string,
  ip: string,
  conditions: Endpoint['conditions'] = { ready: true, serving: true, terminating: false },
  zone = 'zone-a',
): Endpoint {
  return {
    addresses: [ip],
    conditions,
    nodeName: `node-${zone}`,
    zone,
    targetRef: { kind: 'Pod', name: pod, namespace: 'shop' },
  };
}

export function slice(
  service: string,
  name: string,
  endpoints: Endpoint[],
  extra: Partial<EndpointSlice> = {},
  namespace = 'shop',
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name,
      namespace,
      labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'flotilla-test' },
    },
    addressType: 'IPv4',
    endpoints,
    ports,
    ...extra,
  };
}

export const ids = (instances: readonly Instance[]): string[] => instances.map((i) => i.id);
