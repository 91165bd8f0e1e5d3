/** Names that become file names and etcd key segments, so they are checked before use. */
import { userInfo, hostname } from 'node:os';
import { ValidationError } from '@flotilla/core';

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function checkName(kind: 'namespace' | 'service', value: string): string {
  if (!NAME.test(value)) {
    throw new ValidationError(
      [
        {
          field: kind,
          rule: 'pattern',
          message: `${kind} "${value}" must be lower-case letters, digits and dashes (at most 63)`,
        },
      ],
      `invalid ${kind} "${value}"`,
    );
  }
  return value;
}

export function checkVersion(value: number, allowZero = false): number {
  if (!Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new ValidationError(
      [
        {
          field: 'version',
          rule: 'minimum',
          message: `version must be an integer ≥ ${allowZero ? 0 : 1}, got ${value}`,
        },
      ],
      `invalid version ${value}`,
    );
  }
  return value;
}

/** `$USER@hostname`, the default author of a change. */
export function defaultAuthor(env: Record<string, string | undefined> = process.env): string {
  let user = env.USER ?? env.LOGNAME;
  if (user === undefined || user === '') {
    try {
      user = userInfo().username;
    } catch {
      user = 'unknown';
    }
  }
  return `${user}@${hostname()}`;
}

/** Version numbers padded so that lexical order (file names, etcd keys) is numeric order. */
export function padVersion(version: number): string {
  return String(version).padStart(10, '0');
}
