// PostgreSQL: a LOGIN role and a database of the same name. PUBLIC loses CONNECT (and
// TEMPORARY) on the database, the role gets CONNECT and a schema of its own name that it
// owns (first on its default search_path, "$user", so its tables land there). Both carry the
// owner mark as a comment. Passwords are sent as SCRAM verifiers.
import pg from 'pg';
import { dsnFor, type ServerDsn, serverAddress } from './dsn.ts';
import { fromDriverError, isAuthenticationFailure, ProvisioningError, Reasons } from './errors.ts';
import type { OwnershipFacts } from './ownership.ts';
import { scramSha256Verifier } from './password.ts';
import type { ServerDriver, ServerSession, SessionOptions } from './server.ts';

const LOCK_NOT_AVAILABLE = '55P03';

async function connect(server: ServerDsn, user: string, password: string, database: string, options: SessionOptions): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: dsnFor(server, user, password, database),
    connectionTimeoutMillis: options.connectTimeoutMs,
    lock_timeout: options.lockTimeoutMs,
    application_name: 'flotilla-operator',
  });
  // A dropped connection is reported by the query that needed it, not as an uncaught event.
  client.on('error', () => {});
  const abort = () => destroy(client);
  options.signal.addEventListener('abort', abort, { once: true });
  client.once('end', () => options.signal.removeEventListener('abort', abort));
  try {
    await client.connect();
  } catch (error) {
    options.signal.removeEventListener('abort', abort);
    destroy(client);
    throw error;
  }
  return client;
}

/** Closes the socket at once: end() would wait for a statement blocked on a lock. */
function destroy(client: pg.Client): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

class PostgresSession implements ServerSession {
  readonly version: string;
  private readonly client: pg.Client;
  private readonly server: ServerDsn;
  private readonly options: SessionOptions;
  private readonly where: string;

  constructor(client: pg.Client, version: string, server: ServerDsn, options: SessionOptions) {
    this.client = client;
    this.version = version;
    this.server = server;
    this.options = options;
    this.where = `the postgresql server at ${serverAddress(server)}`;
  }

  private async run(sql: string, doing: string, values: unknown[] = [], quotable = true): Promise<pg.QueryResult> {
    try {
      return await this.client.query(sql, values);
    } catch (error) {
      throw fromDriverError(error, this.where, doing, quotable);
    }
  }

  async lock(name: string): Promise<void> {
    try {
      await this.client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`flotilla.dev/database:${name}`]);
    } catch (error) {
      if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE)
        throw new ProvisioningError(Reasons.Busy, `another reconcile of database "${name}" holds its lock on ${this.where}; retrying`);
      throw fromDriverError(error, this.where, 'taking the lock');
    }
  }

  async facts(name: string): Promise<OwnershipFacts> {
    const { rows } = await this.run(
      `SELECT
         (SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = $1) AS role_mark,
         EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS role_exists,
         (SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1) AS database_mark,
         EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS database_exists`,
      'reading what exists',
      [name],
    );
    const row = rows[0] as { role_mark: string | null; role_exists: boolean; database_mark: string | null; database_exists: boolean };
    return {
      role: { exists: row.role_exists, mark: row.role_mark },
      database: { exists: row.database_exists, mark: row.database_mark },
    };
  }

  async provision(name: string, mark: string, password: string): Promise<void> {
    const id = pg.escapeIdentifier(name);
    const markLiteral = pg.escapeLiteral(mark);
    const facts = await this.facts(name);
    if (!facts.role.exists) {
      // The role and its mark in one transaction: a role without the mark would be nobody's.
      await this.run('BEGIN', 'starting a transaction');
      try {
        await this.run(
          `CREATE ROLE ${id} WITH LOGIN PASSWORD ${pg.escapeLiteral(scramSha256Verifier(password))}`,
          `creating role "${name}"`,
          [],
          false,
        );
        await this.run(`COMMENT ON ROLE ${id} IS ${markLiteral}`, `marking role "${name}"`);
        await this.run('COMMIT', 'committing');
      } catch (error) {
        await this.client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    }
    if (!facts.database.exists) await this.run(`CREATE DATABASE ${id}`, `creating database "${name}"`);
    if (facts.database.mark !== mark) await this.run(`COMMENT ON DATABASE ${id} IS ${markLiteral}`, `marking database "${name}"`);
    await this.run(`REVOKE CONNECT, TEMPORARY ON DATABASE ${id} FROM PUBLIC`, `revoking PUBLIC's access to database "${name}"`);
    await this.run(`GRANT CONNECT ON DATABASE ${id} TO ${id}`, `granting CONNECT on database "${name}"`);
    await this.inDatabase(name, async (run) => {
      const { rows } = await run('SELECT rolsuper FROM pg_roles WHERE rolname = current_user', 'reading the administrator role');
      // Making a schema owned by another role needs membership in it (a superuser has it all).
      if (!(rows[0] as { rolsuper: boolean } | undefined)?.rolsuper) await run(`GRANT ${id} TO CURRENT_USER`, `joining role "${name}"`);
      await run(`CREATE SCHEMA IF NOT EXISTS ${id} AUTHORIZATION ${id}`, `creating schema "${name}"`);
      // Before PostgreSQL 15 everyone may create in the public schema: not here.
      const open = await run("SELECT has_schema_privilege('public', 'public', 'CREATE') AS open", 'reading the public schema');
      if ((open.rows[0] as { open: boolean } | undefined)?.open)
        await run('REVOKE CREATE ON SCHEMA public FROM PUBLIC', `closing the public schema of "${name}"`);
    });
  }

  async setPassword(name: string, password: string): Promise<void> {
    await this.run(
      `ALTER ROLE ${pg.escapeIdentifier(name)} WITH LOGIN PASSWORD ${pg.escapeLiteral(scramSha256Verifier(password))}`,
      `setting the password of role "${name}"`,
      [],
      false,
    );
  }

  async drop(name: string, what: { database: boolean; role: boolean }): Promise<void> {
    const id = pg.escapeIdentifier(name);
    // FORCE ends the application's sessions, which would otherwise keep the database.
    if (what.database) await this.run(`DROP DATABASE IF EXISTS ${id} WITH (FORCE)`, `dropping database "${name}"`);
    if (what.role) await this.run(`DROP ROLE IF EXISTS ${id}`, `dropping role "${name}"`);
  }

  /** Runs `work` on a second administrator connection, to the database `name`. */
  private async inDatabase(
    name: string,
    work: (run: (sql: string, doing: string) => Promise<pg.QueryResult>) => Promise<void>,
  ): Promise<void> {
    let client: pg.Client;
    try {
      client = await connect(this.server, this.server.user, this.server.password, name, this.options);
    } catch (error) {
      throw fromDriverError(error, this.where, `connecting to database "${name}"`);
    }
    try {
      await work(async (sql, doing) => {
        try {
          return await client.query(sql);
        } catch (error) {
          throw fromDriverError(error, this.where, doing);
        }
      });
    } finally {
      await client.end().catch(() => {});
    }
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }
}

export const postgresDriver: ServerDriver = {
  async open(server, options) {
    const where = `the postgresql server at ${serverAddress(server)}`;
    let client: pg.Client;
    try {
      client = await connect(server, server.user, server.password, server.database ?? 'postgres', options);
    } catch (error) {
      throw fromDriverError(error, where, 'connecting');
    }
    try {
      const { rows } = await client.query("SELECT current_setting('server_version') AS version");
      return new PostgresSession(client, (rows[0] as { version: string }).version, server, options);
    } catch (error) {
      await client.end().catch(() => {});
      throw fromDriverError(error, where, 'reading the server version');
    }
  },

  async canLogIn(server, name, password, options) {
    let client: pg.Client;
    try {
      client = await connect(server, name, password, name, options);
    } catch (error) {
      if (isAuthenticationFailure(error)) return false;
      throw fromDriverError(error, `the postgresql server at ${serverAddress(server)}`, `logging in as "${name}"`);
    }
    await client.end().catch(() => {});
    return true;
  },
};
