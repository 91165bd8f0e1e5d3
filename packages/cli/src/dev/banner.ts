/** What `flotilla dev` prints once the whole system is up: where things are and what to try. */
import type { ProcessListeners } from './listeners.ts';

export function bannerLines(processes: ProcessListeners[], userId: string | undefined): string[] {
  const urlOf = (name: string): string | undefined => processes.find((p) => p.spec.name === name)?.url;
  const entry = urlOf('gateway');
  const api = entry === undefined ? (urlOf('users') ?? '') : `${entry}/api`;
  const id = userId ?? '<user-id>';
  const width = Math.max(...processes.map((p) => p.spec.name.length));
  return [
    '',
    'Flotilla is running:',
    ...processes.map((p) => `  ${p.spec.name.padEnd(width)}  ${p.url}   (docs ${p.url}/docs, health ${p.url}/readyz)`),
    'Try:',
    `  curl -s ${api}/users`,
    `  curl -s -X POST ${api}/users -H 'content-type: application/json' -d '{"name":"Edsger","email":"edsger@example.com"}'`,
    ...(entry === undefined
      ? []
      : [`  curl -s ${api}/users/${id}/profile        # user + orders, fetched in parallel`, `  curl -s ${api}/hello/world`]),
    '  npx flotilla registry ls                 # the instances registered in discovery',
    '',
    'Ctrl-C stops everything.',
  ];
}
