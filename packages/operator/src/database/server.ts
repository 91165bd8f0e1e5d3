// What the reconciler needs from a database server, whatever its engine. Every step is
// idempotent, so a reconcile interrupted anywhere (operator restarted, server gone) is
// finished by the next one.
import type { ServerDsn } from './dsn.ts';
import type { OwnershipFacts } from './ownership.ts';

export interface SessionOptions {
  /** gives up connecting after this long */
  connectTimeoutMs: number;
  /** gives up waiting for the per-name lock (another worker or operator replica holds it) */
  lockTimeoutMs: number;
  /** destroys the connection: the operator is stopping */
  signal: AbortSignal;
}

/** One administrator connection. */
export interface ServerSession {
  /** what the server reports, e.g. "15.10 (Debian 15.10-0+deb12u1)" or "10.11.6-MariaDB-0+deb12u1" */
  readonly version: string;
  /** Serializes work on one database name (held until close). */
  lock(name: string): Promise<void>;
  facts(name: string): Promise<OwnershipFacts>;
  /** Creates what is missing: the database, its role with `password`, the grants (and marks them with `mark`). */
  provision(name: string, mark: string, password: string): Promise<void>;
  setPassword(name: string, password: string): Promise<void>;
  drop(name: string, what: { database: boolean; role: boolean }): Promise<void>;
  close(): Promise<void>;
}

export interface ServerDriver {
  open(server: ServerDsn, options: SessionOptions): Promise<ServerSession>;
  /** Logs in as the application would: true, or false when the password is refused. */
  canLogIn(server: ServerDsn, name: string, password: string, options: SessionOptions): Promise<boolean>;
}
