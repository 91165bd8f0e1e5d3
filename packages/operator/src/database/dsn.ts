// The administrator DSN from the server Secret, and the application DSN made from it. A
// DSN holds a password, so nothing here puts one in an error: a malformed DSN is reported
// by what is wrong with it, never by its text.
import { ProvisioningError, Reasons } from './errors.ts';
import type { Engine } from './types.ts';

export interface ServerDsn {
  engine: Engine;
  /** as in a URL: brackets around an IPv6 address */
  host: string;
  port: number;
  user: string;
  password: string;
  /** the database the administrator connects to (PostgreSQL: postgres when the DSN names none) */
  database: string | undefined;
  /** PostgreSQL's sslmode, carried to the application DSN (other parameters stay with the operator) */
  sslmode: string | undefined;
}

const SCHEMES: Record<Engine, string[]> = { postgresql: ['postgres', 'postgresql'], mysql: ['mysql', 'mariadb'] };
const DEFAULT_PORTS: Record<Engine, number> = { postgresql: 5432, mysql: 3306 };

function invalid(why: string): ProvisioningError {
  return new ProvisioningError(Reasons.InvalidServerDSN, `the server DSN ${why}`);
}

export function parseServerDsn(engine: Engine, text: string): ServerDsn {
  const trimmed = text.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  if (!scheme || !SCHEMES[engine].includes(scheme))
    throw invalid(`must start with ${SCHEMES[engine].map((s) => `${s}://`).join(' or ')} for engine ${engine}`);
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw invalid('is not a valid URL (percent-encode special characters in the password)');
  }
  if (url.hostname === '') throw invalid('needs a host');
  if (url.username === '') throw invalid('needs a user');
  const port = url.port === '' ? DEFAULT_PORTS[engine] : Number(url.port);
  const path = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (path.includes('/')) throw invalid('names more than one database in its path');
  if (engine === 'mysql' && url.search !== '') throw invalid('takes no query parameters with engine mysql');
  return {
    engine,
    host: url.hostname,
    port,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: path === '' ? undefined : path,
    sslmode: url.searchParams.get('sslmode') ?? undefined,
  };
}

/** host:port, for messages (no credentials). */
export function serverAddress(server: ServerDsn): string {
  return `${server.host}:${server.port}`;
}

/** The host as drivers take it (no IPv6 brackets). */
export function driverHost(server: ServerDsn): string {
  return server.host.replace(/^\[(.*)\]$/, '$1');
}

/** A DSN for `user` on `database` of the same server, as @flotilla/data reads it. */
export function dsnFor(server: ServerDsn, user: string, password: string, database: string): string {
  const scheme = server.engine === 'postgresql' ? 'postgres' : 'mysql';
  const query = server.engine === 'postgresql' && server.sslmode ? `?sslmode=${encodeURIComponent(server.sslmode)}` : '';
  return `${scheme}://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${server.host}:${server.port}/${encodeURIComponent(database)}${query}`;
}
