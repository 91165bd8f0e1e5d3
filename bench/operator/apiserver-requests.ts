// Who asked kube-apiserver for what during a window: apiserver_request_total from its
// /metrics, by verb, resource and subresource, as the difference of two readings.
import type { ClusterConnection } from '@flotilla/operator';
import { getRaw } from './apiserver-debug.ts';

export type RequestCounts = Map<string, number>;

export async function requestCounts(connection: ClusterConnection): Promise<RequestCounts> {
  return parseRequestCounts((await getRaw(connection, '/metrics')).toString('utf8'));
}

export function parseRequestCounts(text: string): RequestCounts {
  const counts: RequestCounts = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const label = (name: string) => new RegExp(`[{,]${name}="([^"]*)"`).exec(line)?.[1] ?? '';
    const key = `${label('verb')} ${label('resource')}${label('subresource') ? `/${label('subresource')}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}

/** "VERB resource n" lines, largest first, for what changed between two readings. */
export function requestDelta(before: RequestCounts, after: RequestCounts, min = 1): string[] {
  return [...after]
    .map(([key, n]) => [key, n - (before.get(key) ?? 0)] as const)
    .filter(([, n]) => n >= min)
    .sort((a, b) => b[1] - a[1])
    .map(([key, n]) => `${key} ${n}`);
}
