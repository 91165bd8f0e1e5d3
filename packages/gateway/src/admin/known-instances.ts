/**
 * Every instance the gateway knows of, by service: what the registry lists
 * (each registered service, the gateway included) and the static
 * `instances` of upstreams configured by address. The topology, the merged
 * traces and the gRPC listing all start from this list. A registry that does
 * not answer in time leaves its services out rather than holding the answer.
 */
import type { Instance, InstancePorts, Registry } from '@flotilla/discovery';
import type { GatewaySettings } from '../config.ts';

export interface KnownInstance {
  service: string;
  id: string;
  /** Host name or IP. */
  host: string;
  ports: InstancePorts;
  version: string;
  region: string;
  zone: string;
  weight: number;
  serving: boolean;
  /** `http://host:port` of its HTTP listener, when it has one. */
  httpOrigin: string | undefined;
  /** Where the gateway learnt of it. */
  source: 'registry' | 'static';
}

const REGISTRY_TIMEOUT_MS = 2_000;

export async function knownInstances(
  registry: Registry | undefined,
  upstreams: GatewaySettings['upstreams'],
): Promise<Map<string, KnownInstance[]>> {
  const byService = new Map<string, KnownInstance[]>();
  const add = (instance: KnownInstance): void => {
    const list = byService.get(instance.service) ?? [];
    if (!list.some((known) => known.id === instance.id)) list.push(instance);
    byService.set(instance.service, list);
  };
  for (const instance of await registered(registry)) add(fromRegistry(instance));
  for (const [service, spec] of Object.entries(upstreams)) {
    if (!byService.has(service)) byService.set(service, []);
    for (const origin of spec.instances ?? []) {
      // A configured origin that is also registered is one process: listed once, as registered.
      if (!(byService.get(service) ?? []).some((known) => known.httpOrigin === origin)) add(fromOrigin(service, origin));
    }
  }
  return new Map([...byService].sort(([a], [b]) => a.localeCompare(b)));
}

async function registered(registry: Registry | undefined): Promise<Instance[]> {
  if (registry === undefined) return [];
  const listing = (async () => {
    const services = await registry.services();
    const lists = await Promise.all(services.map((service) => registry.list(service).catch(() => [])));
    return lists.flat();
  })();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Instance[]>((resolve) => {
    timer = setTimeout(() => resolve([]), REGISTRY_TIMEOUT_MS);
  });
  try {
    return await Promise.race([listing.catch(() => []), late]);
  } finally {
    clearTimeout(timer);
  }
}

function hostPart(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

function fromRegistry(instance: Instance): KnownInstance {
  return {
    service: instance.service,
    id: instance.id,
    host: instance.address,
    ports: instance.ports,
    version: instance.version,
    region: instance.region,
    zone: instance.zone,
    weight: instance.weight,
    serving: instance.health === 'serving',
    httpOrigin: instance.ports.http === undefined ? undefined : `http://${hostPart(instance.address)}:${instance.ports.http}`,
    source: 'registry',
  };
}

/** A configured origin, as the gateway's resolver names it (its id is the origin). */
function fromOrigin(service: string, origin: string): KnownInstance {
  const url = new URL(origin);
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  return {
    service,
    id: origin,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    ports: { http: port },
    version: '',
    region: '',
    zone: '',
    weight: 100,
    serving: true,
    httpOrigin: origin,
    source: 'static',
  };
}

/** `host:port` of an instance: its HTTP listener, else its gRPC one. */
export function instanceAddress(instance: KnownInstance): string {
  const port = instance.ports.http ?? instance.ports.grpc;
  return `${hostPart(instance.host)}:${port ?? ''}`;
}
