/**
 * The harness's PostgreSQL as the examples' Databases use it: relayed into the node (Pods
 * dial the host end of its veth), its superuser's DSN in the Secret pg-admin that
 * deploy/kubernetes/examples/databases.yaml names, and SQL from the host, as the
 * administrator or with an application DSN the operator wrote, to see what the operator
 * made on the server and to remove it afterwards.
 */
import { Resources, type KubeObject } from '@flotilla/kube';
import { ownerMark } from '@flotilla/operator';
import pg from 'pg';
import type { NodeCluster } from './cluster.ts';
import { NAMESPACE } from './system.ts';

/** The Secret and key the examples' Databases read the administrator DSN from. */
export const ADMIN_SECRET = { name: 'pg-admin', key: 'dsn' } as const;

export interface DatabaseServer {
  /** what the server has under `name` (a database and a role of that name) */
  has(name: string): Promise<{ database: boolean; role: boolean }>;
  /** runs one statement over a new connection to `dsn` (a DSN from the cluster, relay address and all) */
  query<T>(dsn: string, statement: string, values?: unknown[]): Promise<T[]>;
  /** drops the database and role `databaseName` if they carry the mark of the Database `name` in the examples' namespace */
  dropIfMarked(name: string, databaseName: string): Promise<void>;
}

/** The harness's PostgreSQL relayed into the node, and its superuser's DSN (at the relay) in the Secret pg-admin. */
export async function createAdminSecret(cluster: NodeCluster): Promise<DatabaseServer> {
  const admin = process.env.FLOTILLA_TEST_POSTGRES_URL;
  if (!admin) throw new Error('FLOTILLA_TEST_POSTGRES_URL is not set: start scripts/test-services with postgres');
  const relayed = new URL(admin);
  await cluster.relay(Number(relayed.port));
  relayed.hostname = cluster.hostIP;
  await cluster.client.apply(
    Resources.Secret,
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: ADMIN_SECRET.name, namespace: NAMESPACE },
      type: 'Opaque',
      stringData: { [ADMIN_SECRET.key]: relayed.toString() },
    } as KubeObject,
    { force: true },
  );
  return serverAt(admin, cluster.hostIP);
}

function serverAt(admin: string, relayHost: string): DatabaseServer {
  // The relay answers only the node and its Pods: from the host, the same port on 127.0.0.1.
  const fromHost = (dsn: string): string => {
    const url = new URL(dsn);
    if (url.hostname === relayHost) url.hostname = new URL(admin).hostname;
    return url.toString();
  };
  const query = async <T>(dsn: string, statement: string, values: unknown[] = []): Promise<T[]> => {
    const client = new pg.Client({ connectionString: fromHost(dsn), connectionTimeoutMillis: 5_000 });
    client.on('error', () => {});
    await client.connect();
    try {
      return (await client.query(statement, values)).rows as T[];
    } finally {
      await client.end().catch(() => {});
    }
  };
  const marks = async (name: string) => {
    const [row] = await query<{ database_mark: string | null; role_mark: string | null; database: boolean; role: boolean }>(
      admin,
      `SELECT
         EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS database,
         EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS role,
         (SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1) AS database_mark,
         (SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = $1) AS role_mark`,
      [name],
    );
    return row!;
  };
  return {
    async has(name) {
      const { database, role } = await marks(name);
      return { database, role };
    },
    query,
    async dropIfMarked(name, databaseName) {
      const mark = ownerMark({ metadata: { name, namespace: NAMESPACE } } as Parameters<typeof ownerMark>[0]);
      const found = await marks(databaseName);
      const id = pg.escapeIdentifier(databaseName);
      const role = found.role && found.role_mark === mark;
      // Unmarked next to our role: a first reconcile cut short between CREATE DATABASE and its comment.
      const database = found.database && (found.database_mark === mark || (found.database_mark === null && role));
      // WITH (FORCE): the services' Pods may still hold sessions.
      if (database) await query(admin, `DROP DATABASE IF EXISTS ${id} WITH (FORCE)`);
      if (role) await query(admin, `DROP ROLE IF EXISTS ${id}`);
    },
  };
}
