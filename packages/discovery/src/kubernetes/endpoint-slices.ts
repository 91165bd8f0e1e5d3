/**
 * EndpointSlices (discovery.k8s.io/v1) as Instances. The EndpointSlice
 * controller publishes a Service's Pods with their conditions:
 *
 * - `ready` (nil means ready): the Pod passes its readiness probe and is not
 *   terminating. These are the instances.
 * - `serving` + `terminating`: a Pod shutting down that still answers. Used
 *   only when no endpoint of the service is ready (the same fallback
 *   kube-proxy uses), so a rollout of a single replica does not drop traffic.
 * - anything else (not ready, not serving): skipped.
 *
 * Ports come by name from the slice (`http`, `grpc`: the names the operator
 * gives the Service's ports). The zone is the endpoint's `zone`, else its
 * first zone hint. Regions are not in EndpointSlices: every instance gets the
 * region the caller runs in (one cluster, one region). The version is the
 * slice's `app.kubernetes.io/version` label (copied from the Service), else
 * `0.0.0`.
 */
import type { KubeObject } from '@flotilla/kube';
import { DEFAULT_ZONE, instanceFromSpec, InvalidInstanceError } from '../instance.ts';
import type { Instance, InstancePorts } from '../types.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const VERSION_LABEL = 'app.kubernetes.io/version';

export interface EndpointConditions {
  ready?: boolean | null;
  serving?: boolean | null;
  terminating?: boolean | null;
}

export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  nodeName?: string;
  zone?: string;
  hints?: { forZones?: Array<{ name: string }> };
  targetRef?: { kind?: string; name?: string; namespace?: string; uid?: string };
}

export interface EndpointPort {
  name?: string;
  port?: number;
  protocol?: string;
  appProtocol?: string;
}

export interface EndpointSlice extends KubeObject {
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints?: Endpoint[] | null;
  ports?: EndpointPort[] | null;
}

export interface SliceMappingOptions {
  /** The region every instance is placed in (the caller's). */
  region: string;
}

interface Candidate {
  instance: Instance;
  ready: boolean;
  terminatingButServing: boolean;
}

/** The usable instances of `service` from all its slices, one per Pod. */
export function instancesFromSlices(service: string, slices: readonly EndpointSlice[], options: SliceMappingOptions): Instance[] {
  const candidates = new Map<string, Candidate>();
  // IPv4 first, then by name: a dual-stack Pod appears in two slices and is kept once, the same way every time.
  const ordered = [...slices].sort((a, b) => rank(a) - rank(b) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  for (const slice of ordered) {
    if (slice.metadata.labels?.[SERVICE_NAME_LABEL] !== service) continue;
    const ports = portsByName(slice.ports ?? []);
    if (ports === undefined) continue;
    for (const endpoint of slice.endpoints ?? []) {
      const candidate = candidateOf(service, slice, endpoint, ports, options);
      if (candidate !== undefined && !candidates.has(candidate.instance.id)) candidates.set(candidate.instance.id, candidate);
    }
  }
  const all = [...candidates.values()];
  const ready = all.filter((c) => c.ready);
  const chosen = ready.length > 0 ? ready : all.filter((c) => c.terminatingButServing);
  return chosen.map((c) => c.instance).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function rank(slice: EndpointSlice): number {
  return slice.addressType === 'IPv4' ? 0 : slice.addressType === 'IPv6' ? 1 : 2;
}

function portsByName(ports: readonly EndpointPort[]): InstancePorts | undefined {
  const out: InstancePorts = {};
  for (const port of ports) {
    if (port.port === undefined || (port.protocol !== undefined && port.protocol !== 'TCP')) continue;
    if (port.name === 'http') out.http = port.port;
    if (port.name === 'grpc') out.grpc = port.port;
  }
  return out.http === undefined && out.grpc === undefined ? undefined : out;
}

function candidateOf(
  service: string,
  slice: EndpointSlice,
  endpoint: Endpoint,
  ports: InstancePorts,
  options: SliceMappingOptions,
): Candidate | undefined {
  const address = endpoint.addresses[0];
  if (address === undefined) return undefined;
  const conditions = endpoint.conditions ?? {};
  const ready = conditions.ready !== false; // nil: ready (the API's rule)
  const serving = conditions.serving ?? ready;
  const terminating = conditions.terminating === true;
  if (!ready && !(serving && terminating)) return undefined;
  const pod = endpoint.targetRef?.kind === 'Pod' ? endpoint.targetRef.name : undefined;
  const metadata: Record<string, string> = { endpointSlice: slice.metadata.name ?? '' };
  if (pod !== undefined) metadata.pod = pod;
  if (endpoint.nodeName !== undefined) metadata.nodeName = endpoint.nodeName;
  if (terminating) metadata.terminating = 'true';
  try {
    const instance = instanceFromSpec({
      service,
      id: pod ?? address.replace(/[^A-Za-z0-9._-]/g, '-'),
      address,
      ports,
      version: slice.metadata.labels?.[VERSION_LABEL] ?? '0.0.0',
      region: options.region,
      zone: endpoint.zone ?? endpoint.hints?.forZones?.[0]?.name ?? DEFAULT_ZONE,
      metadata,
    });
    return { instance, ready: ready && !terminating, terminatingButServing: serving && terminating };
  } catch (error) {
    if (error instanceof InvalidInstanceError) return undefined; // e.g. a zone name we cannot carry: never fatal
    throw error;
  }
}
