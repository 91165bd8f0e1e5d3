/**
 * A request's priority for load shedding, from `x-flotilla-priority`.
 * Missing or unknown values are `low`: nothing is exempt by accident.
 * The header is trusted as sent, so an edge must not pass it on from the
 * internet: the gateway sets it per route (or strips it) before proxying.
 */
import type { ShedPriority } from './settings.ts';

export const PRIORITY_HEADER = 'x-flotilla-priority';

export function parsePriority(value: string | string[] | undefined): ShedPriority {
  const raw = Array.isArray(value) ? value[0] : value;
  switch (raw?.trim().toLowerCase()) {
    case 'critical':
      return 'critical';
    case 'high':
      return 'high';
    default:
      return 'low';
  }
}
