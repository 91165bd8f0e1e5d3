// MySQL and MariaDB: a database and a user 'name'@'%' with every privilege on that database
// and nothing else. MySQL has no comments on databases, so ownership is a row in
// flotilla_operator.owned_databases, which the operator creates on first use.
import mysql from 'mysql2/promise';
import { driverHost, type ServerDsn, serverAddress } from './dsn.ts';
import { fromDriverError, isAuthenticationFailure, ProvisioningError, Reasons } from './errors.ts';
import type { OwnershipFacts } from './ownership.ts';
import type { ServerDriver, ServerSession, SessionOptions } from './server.ts';

const BOOKKEEPING = 'flotilla_operator';
const OWNERS = `\`${BOOKKEEPING}\`.\`owned_databases\``;
/** Statements wait at most this long (DDL can queue behind a metadata lock). */
const QUERY_TIMEOUT_MS = 60_000;

async function connect(
  server: ServerDsn,
  user: string,
  password: string,
  database: string | undefined,
  options: SessionOptions,
): Promise<mysql.Connection> {
  const connection = await mysql.createConnection({
    host: driverHost(server),
    port: server.port,
    user,
    password,
    database,
    connectTimeout: options.connectTimeoutMs,
    charset: 'utf8mb4',
  });
  // A dropped connection is reported by the query that needed it, not as an uncaught event.
  connection.on('error', () => {});
  const abort = () => connection.destroy();
  options.signal.addEventListener('abort', abort, { once: true });
  connection.once('end', () => options.signal.removeEventListener('abort', abort));
  return connection;
}

/** `name` as an identifier (the CRD allows only [a-z0-9_], so this is belt and braces). */
function id(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/** In GRANT, `_` and `%` in a database name are wildcards: `app_1`.* would also match `appx1`. */
function grantPattern(name: string): string {
  return id(name.replace(/[_%]/g, (c) => `\\${c}`));
}

class MysqlSession implements ServerSession {
  readonly version: string;
  private readonly connection: mysql.Connection;
  private readonly where: string;
  private readonly lockTimeoutSeconds: number;

  constructor(connection: mysql.Connection, version: string, server: ServerDsn, options: SessionOptions) {
    this.connection = connection;
    this.version = version;
    this.where = `the mysql server at ${serverAddress(server)}`;
    this.lockTimeoutSeconds = Math.max(1, Math.ceil(options.lockTimeoutMs / 1000));
  }

  private async run<T = unknown>(sql: string, doing: string, values: unknown[] = [], quotable = true): Promise<T> {
    try {
      const [rows] = await this.connection.query({ sql, values, timeout: QUERY_TIMEOUT_MS });
      return rows as T;
    } catch (error) {
      throw fromDriverError(error, this.where, doing, quotable);
    }
  }

  async lock(name: string): Promise<void> {
    const rows = await this.run<{ got: number | null }[]>('SELECT GET_LOCK(?, ?) AS got', 'taking the lock', [
      `flotilla.dev/database:${name}`,
      this.lockTimeoutSeconds,
    ]);
    if (rows[0]?.got !== 1)
      throw new ProvisioningError(Reasons.Busy, `another reconcile of database "${name}" holds its lock on ${this.where}; retrying`);
  }

  private async ensureBookkeeping(): Promise<void> {
    await this.run(`CREATE DATABASE IF NOT EXISTS ${id(BOOKKEEPING)} CHARACTER SET utf8mb4`, 'creating the bookkeeping database');
    await this.run(
      `CREATE TABLE IF NOT EXISTS ${OWNERS} (
         database_name VARCHAR(64) NOT NULL PRIMARY KEY,
         owner VARCHAR(320) NOT NULL,
         created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
       )`,
      'creating the bookkeeping table',
    );
  }

  async facts(name: string): Promise<OwnershipFacts> {
    await this.ensureBookkeeping();
    const owners = await this.run<{ owner: string }[]>(`SELECT owner FROM ${OWNERS} WHERE database_name = ?`, 'reading the owner', [name]);
    const schemas = await this.run<{ n: number }[]>(
      'SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      'reading what exists',
      [name],
    );
    // Any host counts: a 'name'@'localhost' of someone else would shadow ours for local clients.
    const users = await this.run<{ n: number }[]>('SELECT COUNT(*) AS n FROM mysql.user WHERE User = ?', 'reading the users', [name]);
    const mark = owners[0]?.owner ?? null;
    return {
      database: { exists: Number(schemas[0]?.n ?? 0) > 0, mark },
      role: { exists: Number(users[0]?.n ?? 0) > 0, mark },
    };
  }

  async provision(name: string, mark: string, password: string): Promise<void> {
    await this.ensureBookkeeping();
    // The claim first: a database or user of ours without it would be nobody's.
    await this.run(
      `INSERT INTO ${OWNERS} (database_name, owner) VALUES (?, ?) ON DUPLICATE KEY UPDATE owner = owner`,
      'recording the owner',
      [name, mark],
    );
    await this.run(`CREATE DATABASE IF NOT EXISTS ${id(name)} CHARACTER SET utf8mb4`, `creating database "${name}"`);
    await this.run('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', `creating user "${name}"`, [name, '%', password], false);
    await this.run(`GRANT ALL PRIVILEGES ON ${grantPattern(name)}.* TO ?@?`, `granting privileges on "${name}"`, [name, '%']);
  }

  async setPassword(name: string, password: string): Promise<void> {
    await this.run('ALTER USER ?@? IDENTIFIED BY ?', `setting the password of user "${name}"`, [name, '%', password], false);
  }

  async drop(name: string, what: { database: boolean; role: boolean }): Promise<void> {
    if (what.database) await this.run(`DROP DATABASE IF EXISTS ${id(name)}`, `dropping database "${name}"`);
    if (what.role) await this.run('DROP USER IF EXISTS ?@?', `dropping user "${name}"`, [name, '%']);
    await this.run(`DELETE FROM ${OWNERS} WHERE database_name = ?`, 'forgetting the owner', [name]);
  }

  async close(): Promise<void> {
    await this.connection.end().catch(() => this.connection.destroy());
  }
}

export const mysqlDriver: ServerDriver = {
  async open(server, options) {
    const where = `the mysql server at ${serverAddress(server)}`;
    let connection: mysql.Connection;
    try {
      connection = await connect(server, server.user, server.password, server.database, options);
    } catch (error) {
      throw fromDriverError(error, where, 'connecting');
    }
    try {
      const [rows] = await connection.query('SELECT VERSION() AS version');
      return new MysqlSession(connection, (rows as { version: string }[])[0]!.version, server, options);
    } catch (error) {
      connection.destroy();
      throw fromDriverError(error, where, 'reading the server version');
    }
  },

  async canLogIn(server, name, password, options) {
    let connection: mysql.Connection;
    try {
      connection = await connect(server, name, password, name, options);
    } catch (error) {
      if (isAuthenticationFailure(error)) return false;
      throw fromDriverError(error, `the mysql server at ${serverAddress(server)}`, `logging in as "${name}"`);
    }
    await connection.end().catch(() => connection.destroy());
    return true;
  },
};
