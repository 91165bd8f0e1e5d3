/**
 * Locality tiers: the caller's zone first, then its region, then anywhere.
 * The balancer offers only the first non-empty tier of healthy instances, so
 * traffic leaves a zone or region only when nothing there is healthy, and
 * returns as soon as something there is again.
 */
import type { Instance } from '../types.ts';

export interface Locality {
  region: string;
  zone?: string;
}

export type Tier = 'zone' | 'region' | 'remote';

export function tierOf(instance: Instance, locality: Locality | undefined): Tier {
  if (locality === undefined) return 'zone';
  if (instance.region !== locality.region) return 'remote';
  return locality.zone === undefined || instance.zone === locality.zone ? 'zone' : 'region';
}

/** The instances of the closest non-empty tier. */
export function closestTier(instances: readonly Instance[], locality: Locality | undefined): readonly Instance[] {
  if (locality === undefined || instances.length === 0) return instances;
  const tiers: Record<Tier, Instance[]> = { zone: [], region: [], remote: [] };
  for (const instance of instances) tiers[tierOf(instance, locality)].push(instance);
  if (tiers.zone.length > 0) return tiers.zone;
  if (tiers.region.length > 0) return tiers.region;
  return tiers.remote;
}
