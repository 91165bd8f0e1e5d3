/**
 * Every process whose log level the gateway can read and set: itself, and
 * every other instance it knows with an HTTP listener (`known-instances.ts`:
 * the registry and the static `instances` of upstreams). Each other process
 * is asked over HTTP at its kit route `/admin/log-level`.
 */
import { instanceAddress, type KnownInstance } from './known-instances.ts';

export interface LevelTarget {
  service: string;
  id: string;
  /** `host:port` of its HTTP listener. */
  address: string;
  /** Where to ask it; undefined for this gateway itself. */
  origin: string | undefined;
}

/** This gateway's service name and its registered instance, when it has registered. */
export interface LevelSelf {
  service: string;
  id: string | undefined;
  address: string | undefined;
}

export function levelTargets(instances: ReadonlyMap<string, KnownInstance[]>, self: LevelSelf, fallbackAddress: string): LevelTarget[] {
  const targets: LevelTarget[] = [
    { service: self.service, id: self.id ?? `${self.service}-${process.pid}`, address: self.address ?? fallbackAddress, origin: undefined },
  ];
  for (const instance of [...instances.values()].flat()) {
    if (instance.httpOrigin === undefined || instance.id === self.id) continue;
    targets.push({ service: instance.service, id: instance.id, address: instanceAddress(instance), origin: instance.httpOrigin });
  }
  return targets.sort((a, b) => a.service.localeCompare(b.service) || a.id.localeCompare(b.id));
}
