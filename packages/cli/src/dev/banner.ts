/** What `flotilla dev` prints once the whole system is up: where things are and what to try. */
import type { ProcessListeners } from './listeners.ts';

export function bannerLines(processes: ProcessListeners[], userId: string | undefined, traces = false): string[] {
  const urlOf = (name: string): string | undefined => processes.find((p) => p.spec.name === name)?.url;
  const entry = urlOf('gateway');
  const users = urlOf('users');
  const api = entry === undefined ? (users ?? '') : `${entry}/api`;
  const id = userId ?? '<user-id>';
  const width = Math.max(...processes.map((p) => p.spec.name.length), entry === undefined ? 0 : 'console'.length);
  // Examples only for what runs: a services/ package may have been left out of flotilla dev.
  const usersExamples =
    users === undefined
      ? []
      : [
          `  curl -s ${api}/users`,
          `  curl -s -X POST ${api}/users -H 'content-type: application/json' -d '{"name":"Edsger","email":"edsger@example.com"}'`,
        ];
  const gatewayExamples =
    entry === undefined
      ? []
      : [
          ...(users !== undefined && urlOf('orders') !== undefined
            ? [`  curl -s ${api}/users/${id}/profile        # user + orders, fetched in parallel`]
            : []),
          ...(urlOf('greeter') === undefined ? [] : [`  curl -s ${api}/hello/world`]),
        ];
  return [
    '',
    'Flotilla is running:',
    ...processes.map((p) => `  ${p.spec.name.padEnd(width)}  ${p.url}   (docs ${p.url}/docs, health ${p.url}/readyz)`),
    // The web console the gateway serves; it asks for an admin credential (the dev key is in config/dev/gateway.yaml).
    ...(entry === undefined
      ? []
      : [`  ${'console'.padEnd(width)}  ${entry}/console/   (sign in with the dev admin key from config/dev/gateway.yaml)`]),
    'Try:',
    ...usersExamples,
    ...gatewayExamples,
    '  npx flotilla registry ls                 # the instances registered in discovery',
    ...(traces ? ['  npx flotilla traces                      # the latest requests, each as a trace across the processes'] : []),
    '',
    'Ctrl-C stops everything.',
  ];
}
