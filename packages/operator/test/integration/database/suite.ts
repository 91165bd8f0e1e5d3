// What the Database suites share: both CRDs on the harness's API server, a namespace, an
// operator watching it, the harness's PostgreSQL and MariaDB (as administrators, and as the
// applications the operator provisions), and a cleanup that leaves neither stuck
// namespaces nor databases behind, also when a test fails.
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { isNotFound, type KubeClient, type KubeObject, loadKubeconfig, Resources } from '@flotilla/kube';
import { clientFor, createNamespace, deleteNamespace, eventually, kubeconfigOrSkip, missingServer } from '@flotilla/testing';
import { DatabaseResource, databaseCrd } from '../../../src/database/crd.ts';
import type { Database, DatabaseSpec, Engine } from '../../../src/database/types.ts';
import { type OperatorOptions, type RunningOperator, startOperator } from '../../../src/operator.ts';
import type { Condition } from '../../../src/runtime/conditions.ts';
import { installCrd, testLogger } from '../support/kube.ts';

export const ENGINES: Engine[] = ['postgresql', 'mysql'];

const ADMIN_URL_VARIABLES: Record<Engine, string> = {
  postgresql: 'FLOTILLA_TEST_POSTGRES_URL',
  mysql: 'FLOTILLA_TEST_MYSQL_URL',
};

/** The harness's administrator URL for `engine`, or a reason to skip. */
export function adminUrl(engine: Engine): string | { skip: string } {
  const url = process.env[ADMIN_URL_VARIABLES[engine]];
  return url ? url : missingServer(ADMIN_URL_VARIABLES[engine]);
}

/** A database name no earlier run used: `<prefix>_<hex>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** Runs `sql` as the harness's administrator (on `database`, default the admin URL's). */
export async function asAdmin<T = Record<string, unknown>>(
  engine: Engine,
  sql: string,
  values: unknown[] = [],
  database?: string,
): Promise<T[]> {
  const url = adminUrl(engine);
  if (typeof url !== 'string') throw new Error(url.skip);
  const target = new URL(url);
  if (database) target.pathname = `/${database}`;
  return await asUser(engine, target.toString(), sql, values);
}

/** Runs `sql` over a fresh connection to `dsn` (an application DSN from a Secret). */
export async function asUser<T = Record<string, unknown>>(engine: Engine, dsn: string, sql: string, values: unknown[] = []): Promise<T[]> {
  if (engine === 'postgresql') {
    const client = new pg.Client({ connectionString: dsn, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      return (await client.query(sql, values)).rows as T[];
    } finally {
      await client.end();
    }
  }
  const connection = await mysql.createConnection({ uri: dsn.replace(/^mariadb:/, 'mysql:'), connectTimeout: 5000 });
  try {
    const [rows] = await connection.query(sql, values);
    return rows as T[];
  } finally {
    await connection.end();
  }
}

/** What the server has under `name`. */
export async function serverHas(engine: Engine, name: string): Promise<{ database: boolean; role: boolean }> {
  if (engine === 'postgresql') {
    const [row] = await asAdmin<{ database: boolean; role: boolean }>(
      engine,
      'SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS database, EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS role',
      [name],
    );
    return row!;
  }
  const [row] = await asAdmin<{ database: number; role: number }>(
    engine,
    'SELECT (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?) AS `database`, (SELECT COUNT(*) FROM mysql.user WHERE User = ?) AS role',
    [name, name],
  );
  return { database: Number(row!.database) > 0, role: Number(row!.role) > 0 };
}

/** Drops `name` (database and role) as the harness's administrator, whatever made it. */
export async function dropOnServer(engine: Engine, name: string): Promise<void> {
  if (engine === 'postgresql') {
    await asAdmin(engine, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await asAdmin(engine, `DROP ROLE IF EXISTS "${name}"`);
    return;
  }
  await asAdmin(engine, `DROP DATABASE IF EXISTS \`${name}\``);
  await asAdmin(engine, "DROP USER IF EXISTS ?@'%'", [name]);
  await asAdmin(engine, 'DELETE FROM flotilla_operator.owned_databases WHERE database_name = ?', [name]).catch(() => {});
}

/** Installs the Microservice and Database CRDs and waits until both are Established. */
export async function installCrds(client: KubeClient): Promise<void> {
  await installCrd(client);
  const crd = databaseCrd() as unknown as KubeObject;
  await client.apply(Resources.CustomResourceDefinition, crd);
  await eventually(
    async () => {
      const live = await client.get<KubeObject & { status?: { conditions?: Condition[] } }>(
        Resources.CustomResourceDefinition,
        undefined,
        crd.metadata.name!,
      );
      return live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
    },
    { timeoutMs: 60_000, intervalMs: 100, message: 'the Database CRD to be established' },
  );
}

export interface Suite {
  client: KubeClient;
  kubeconfig: string;
  namespace: string;
  operator: RunningOperator;
  /** Database names (per engine) to drop on the servers at the end */
  created: Map<string, Engine>;
  startOperator(options?: Partial<OperatorOptions>): Promise<RunningOperator>;
  stopOperator(): Promise<void>;
  close(): Promise<void>;
}

/** Operator options for tests: no resync in the way, short waits on locks and connections. */
export const TEST_RECONCILER = { resyncMs: 10 * 60_000, lockTimeoutMs: 2_000, connectTimeoutMs: 3_000 };

/** A namespace with both CRDs and a leading operator, or undefined when the test is skipped. */
export async function startSuite(
  t: TestContext,
  prefix: string,
  operatorOptions: Partial<OperatorOptions> = {},
): Promise<Suite | undefined> {
  const kubeconfig = kubeconfigOrSkip(t);
  if (!kubeconfig) return undefined;
  for (const engine of ENGINES) {
    const url = adminUrl(engine);
    if (typeof url !== 'string') {
      t.skip(url.skip);
      return undefined;
    }
  }
  const client = clientFor(kubeconfig);
  await installCrds(client);
  const namespace = await createNamespace(client, prefix);
  const created = new Map<string, Engine>();
  let operator: RunningOperator | undefined;
  const suite: Suite = {
    client,
    kubeconfig,
    namespace,
    created,
    get operator() {
      if (!operator) throw new Error('the operator is not running');
      return operator;
    },
    async startOperator(options = {}) {
      operator = await startOperator({
        connection: loadKubeconfig(kubeconfig),
        log: testLogger(),
        namespace,
        leaseNamespace: namespace,
        database: TEST_RECONCILER,
        ...operatorOptions,
        ...options,
      });
      const running = operator;
      await eventually(() => running.isLeader(), { timeoutMs: 60_000, intervalMs: 50, message: 'the operator to lead' });
      return running;
    },
    async stopOperator() {
      await operator?.stop();
      operator = undefined;
    },
    async close() {
      await suite.stopOperator();
      // With no operator left, finalizers would keep the namespace terminating forever.
      const left = await client.list<Database>(DatabaseResource, namespace).catch(() => ({ items: [] as Database[] }));
      for (const db of left.items)
        await client.patch(DatabaseResource, namespace, db.metadata.name!, { metadata: { finalizers: null } }).catch((error: unknown) => {
          if (!isNotFound(error)) throw error;
        });
      await deleteNamespace(client, namespace);
      // Newest first: an administrator made by a test may own a database made after it.
      for (const [name, engine] of [...created].reverse()) await dropOnServer(engine, name);
      await client.close();
    },
  };
  await suite.startOperator();
  return suite;
}

/** Creates the Secret `name` holding `dsn` under key dsn. */
export async function putServerSecret(client: KubeClient, namespace: string, name: string, dsn: string): Promise<void> {
  const object = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'Opaque',
    stringData: { dsn },
  };
  try {
    await client.create(Resources.Secret, object as KubeObject);
  } catch (error) {
    if ((error as { status?: number }).status !== 409) throw error;
    await client.patch(Resources.Secret, namespace, name, { data: null, stringData: { dsn } });
  }
}

export function databaseObject(
  namespace: string,
  name: string,
  spec: Partial<DatabaseSpec> & Pick<DatabaseSpec, 'engine' | 'databaseName'>,
): Database {
  return {
    apiVersion: 'flotilla.dev/v1alpha1',
    kind: 'Database',
    metadata: { name, namespace },
    spec: { server: { secretRef: { name: `${spec.engine}-admin` } }, ...spec },
  };
}

export async function createDatabase(
  suite: Suite,
  name: string,
  spec: Partial<DatabaseSpec> & Pick<DatabaseSpec, 'engine' | 'databaseName'>,
) {
  suite.created.set(spec.databaseName, spec.engine);
  return await suite.client.create<Database>(DatabaseResource, databaseObject(suite.namespace, name, spec));
}

export async function getDatabase(suite: Suite, name: string): Promise<Database | undefined> {
  try {
    return await suite.client.get<Database>(DatabaseResource, suite.namespace, name);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export function condition(db: Database | undefined, type: string): Condition | undefined {
  return db?.status?.conditions?.find((c) => c.type === type);
}

/** Waits until the Database's Ready condition matches (status and, if given, reason). */
export async function waitForReady(suite: Suite, name: string, status: 'True' | 'False' = 'True', reason?: string): Promise<Database> {
  return await eventually(
    async () => {
      const db = await getDatabase(suite, name);
      const ready = condition(db, 'Ready');
      const current = ready?.status === status && (reason === undefined || ready.reason === reason);
      return current && (status === 'False' || db?.status?.observedGeneration === db?.metadata.generation) ? db : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 50, message: `Database ${name} Ready=${status}${reason ? ` (${reason})` : ''}` },
  );
}

/** The application DSN the Database wrote to its Secret. */
export async function appDsn(suite: Suite, name: string): Promise<string> {
  const secret = await suite.client.get<KubeObject & { data: Record<string, string> }>(
    Resources.Secret,
    suite.namespace,
    `${name}-db-credentials`,
  );
  return Buffer.from(secret.data.dsn!, 'base64').toString('utf8');
}

/** The server Secret for `engine`, pointing at the harness's server as its administrator. */
export async function putAdminSecret(suite: Suite, engine: Engine, dsn?: string): Promise<void> {
  const url = adminUrl(engine);
  if (typeof url !== 'string') throw new Error(url.skip);
  await putServerSecret(suite.client, suite.namespace, `${engine}-admin`, dsn ?? url);
}

/** Waits until the Database object is gone (its finalizer released). */
export async function waitGone(suite: Suite, name: string): Promise<void> {
  await eventually(async () => (await getDatabase(suite, name)) === undefined, {
    timeoutMs: 60_000,
    intervalMs: 50,
    message: `Database ${name} to be gone`,
  });
}

export function adminUrlOf(engine: Engine): string {
  const url = adminUrl(engine);
  if (typeof url !== 'string') throw new Error(url.skip);
  return url;
}
