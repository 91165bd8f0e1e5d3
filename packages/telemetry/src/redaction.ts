/**
 * Credentials kept out of log lines, decided by key name in one pass over
 * the object a line is made of:
 *   - sensitive headers under `req.headers`, `http.request.headers`,
 *     `http.response.headers` and `headers`;
 *   - credential-named fields (`password`, `token`, …) at the first three
 *     levels (`password`, `*.password`, `*.*.password`);
 *   - connection strings (`dsn`, `url`, `connectionString`) at those levels
 *     keep their shape with the password masked; an ECS `url` object is not one.
 *
 * `REDACT_PATHS` spells the same rules as pino redaction paths. pino's own
 * redaction runs its path matcher on every top-level value of every line
 * (~70 µs a line with these wildcards, bench/logging/README.md); this walk
 * reads each key of the first levels once and copies nothing unless it finds
 * a secret, and then only the objects on the way to it: the caller's object is
 * never changed.
 */
import { redactUrlPassword } from '@flotilla/config';

const HEADER_SECRETS = ['authorization', 'cookie', 'set-cookie', 'proxy-authorization', 'x-api-key'];
const FIELD_SECRETS = ['password', 'passwd', 'secret', 'token', 'accessToken', 'refreshToken', 'apiKey', 'privateKey'];
const URL_FIELDS = ['dsn', 'url', 'connectionString'];
const HEADER_PARENTS = ['req.headers', 'http.request.headers', 'http.response.headers', 'headers'];

/** The rules above as pino redaction paths (what a pino logger outside the kit would be given). */
export const REDACT_PATHS = [
  ...HEADER_SECRETS.flatMap((h) => HEADER_PARENTS.map((parent) => `${parent}["${h}"]`)),
  ...[...FIELD_SECRETS, ...URL_FIELDS].flatMap((f) => [f, `*.${f}`, `*.*.${f}`]),
];

export const CENSORED = '[REDACTED]';

const headerSecrets = new Set(HEADER_SECRETS);
const fieldSecrets = new Set(FIELD_SECRETS);
const urlFields = new Set(URL_FIELDS);

/** Levels whose keys are checked: `f`, `*.f`, `*.*.f`. */
const FIELD_DEPTH = 2;

/** Where header objects sit: a key path ending in `HEADERS`. */
const HEADERS = Symbol('headers');
interface PathNode {
  [key: string]: PathNode | typeof HEADERS;
}
const HEADER_PATHS: PathNode = {};
for (const parent of HEADER_PARENTS) {
  const keys = parent.split('.');
  let node = HEADER_PATHS;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) {
      node[key] = HEADERS;
      return;
    }
    const inner = (node[key] ?? {}) as PathNode;
    node[key] = inner;
    node = inner;
  });
}

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

function copyOf(container: Container): Container {
  return Array.isArray(container) ? container.slice() : { ...container };
}

function censorHeaders(headers: Container): Container {
  let copy: Container | undefined;
  for (const key in headers) {
    if (!headerSecrets.has(key) || !Object.hasOwn(headers, key)) continue;
    if ((headers as Record<string, unknown>)[key] === undefined) continue;
    copy ??= copyOf(headers);
    (copy as Record<string, unknown>)[key] = CENSORED;
  }
  return copy ?? headers;
}

function redactLevel(container: Container, depth: number, path: PathNode | undefined): Container {
  let copy: Container | undefined;
  for (const key in container) {
    if (!Object.hasOwn(container, key)) continue;
    const value = (container as Record<string, unknown>)[key];
    let replacement = value;
    if (value !== undefined && depth <= FIELD_DEPTH) {
      if (fieldSecrets.has(key)) replacement = CENSORED;
      else if (urlFields.has(key) && typeof value === 'string') replacement = redactUrlPassword(value);
    }
    if (replacement === value && isContainer(value)) {
      const next = path?.[key];
      let inner: Container = value;
      if (depth < FIELD_DEPTH || (next !== undefined && next !== HEADERS))
        inner = redactLevel(value, depth + 1, next === HEADERS ? undefined : next);
      if (next === HEADERS) inner = censorHeaders(inner);
      replacement = inner;
    }
    if (replacement !== value) {
      copy ??= copyOf(container);
      (copy as Record<string, unknown>)[key] = replacement;
    }
  }
  return copy ?? container;
}

/** `fields` itself when it holds no secret, else a copy with every secret censored. */
export function redactSecrets<T extends object>(fields: T): T {
  return redactLevel(fields as Container, 0, HEADER_PATHS) as T;
}
