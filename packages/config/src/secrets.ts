/**
 * What counts as a secret in config and logs, and how it is masked.
 * A key is secret when its last segment names a credential; a DSN keeps its
 * shape with only the password replaced so that operators can still read it.
 */
const SECRET_KEY = /(password|passwd|secret|token|apikey|api_key|privatekey|private_key|credentials?)$/i;
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)([^@\s]*)(@)/i;

export function isSecretKey(key: string): boolean {
  const last = key.split('.').pop() ?? key;
  return SECRET_KEY.test(last);
}

/** Replaces the password of a URL-shaped DSN (`scheme://user:pass@host`) with `***`. */
export function redactUrlPassword(value: string): string {
  return value.replace(URL_PASSWORD, '$1***$3');
}

export function maskValue(key: string, value: unknown): unknown {
  if (isSecretKey(key)) return value === undefined || value === '' ? value : '***';
  if (typeof value === 'string') return redactUrlPassword(value);
  return value;
}

/** A deep copy of a config object safe to print or log. */
export function maskConfig(value: unknown, path = ''): unknown {
  if (Array.isArray(value)) return value.map((item, i) => maskConfig(item, `${path}.${i}`));
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const childPath = path ? `${path}.${key}` : key;
      result[key] = item !== null && typeof item === 'object' ? maskConfig(item, childPath) : maskValue(childPath, item);
    }
    return result;
  }
  return maskValue(path, value);
}
