/**
 * Every process whose log level the gateway can read and set: itself, every
 * instance registered in discovery with an HTTP port (the registry the
 * gateway finds its upstreams in), and the static `instances` of upstreams
 * that are not registered. Each other process is asked over HTTP at its
 * kit route `/admin/log-level`.
 */
import type { Registry } from '@flotilla/discovery';

export interface LevelTarget {
  service: string;
  id: string;
  /** `host:port` of its HTTP listener. */
  address: string;
  /** Where to ask it; undefined for this gateway itself. */
  origin: string | undefined;
}

export interface TargetSources {
  /** This gateway's service name and its registered instance, when it has registered. */
  self: { service: string; id: string | undefined; address: string | undefined };
  registry: Registry | undefined;
  /** Upstreams configured with fixed `instances` (origins). */
  staticUpstreams(): Record<string, readonly string[]>;
  warn(message: string, error: Error): void;
}

export async function levelTargets(sources: TargetSources, fallbackAddress: string): Promise<LevelTarget[]> {
  const { self } = sources;
  const targets: LevelTarget[] = [
    { service: self.service, id: self.id ?? `${self.service}-${process.pid}`, address: self.address ?? fallbackAddress, origin: undefined },
  ];
  const origins = new Set<string>();
  if (sources.registry !== undefined) {
    try {
      const registry = sources.registry;
      const listed = await Promise.all((await registry.services()).map((service) => registry.list(service)));
      for (const instance of listed.flat()) {
        if (instance.ports.http === undefined || instance.id === self.id) continue;
        const host = instance.address.includes(':') ? `[${instance.address}]` : instance.address;
        const origin = `http://${host}:${instance.ports.http}`;
        origins.add(origin);
        targets.push({ service: instance.service, id: instance.id, address: `${host}:${instance.ports.http}`, origin });
      }
    } catch (error) {
      sources.warn('could not list the registry', error as Error);
    }
  }
  for (const [service, list] of Object.entries(sources.staticUpstreams())) {
    for (const origin of list) {
      const normalised = new URL(origin).origin;
      if (origins.has(normalised)) continue;
      origins.add(normalised);
      targets.push({ service, id: normalised, address: new URL(origin).host, origin: normalised });
    }
  }
  return targets.sort((a, b) => a.service.localeCompare(b.service) || a.id.localeCompare(b.id));
}
