/**
 * Environment variable overrides for single config keys.
 *
 * Mapping: `FLOTILLA_<SERVICE>__<SEGMENT>__<SEGMENT>` where each segment is the
 * camelCase key in UPPER_SNAKE_CASE, e.g. for the `users` service
 * `FLOTILLA_USERS__HTTP__PORT=9000` sets `http.port` and
 * `FLOTILLA_USERS__DATABASE__DSN=postgres://…` sets `database.dsn`.
 * The service name segment makes one shell able to run several services.
 * Values are strings; the schema converts them (numbers, booleans) before
 * validation, so `FLOTILLA_USERS__HTTP__PORT=abc` is reported as a type error.
 */

export function envPrefix(service: string): string {
  return `FLOTILLA_${toUpperSnake(service)}__`;
}

export function toUpperSnake(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
}

function fromUpperSnake(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** The overrides found in `env` as a nested object, plus the variable behind each key. */
export function readEnvOverrides(service: string, env: Record<string, string | undefined>): Record<string, unknown> {
  const prefix = envPrefix(service);
  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(prefix) || value === undefined) continue;
    const path = name.slice(prefix.length).split('__').filter(Boolean).map(fromUpperSnake);
    if (path.length === 0) continue;
    let node = result;
    for (const segment of path.slice(0, -1)) {
      const next = node[segment];
      if (next !== null && typeof next === 'object') node = next as Record<string, unknown>;
      else {
        const created: Record<string, unknown> = {};
        node[segment] = created;
        node = created;
      }
    }
    node[path[path.length - 1] as string] = value;
  }
  return result;
}
