/**
 * The operator's Database objects as the API shows them: made on the administrator Secret
 * the examples use, waited on until Ready or gone, and the application Secret each one
 * writes (its DSN and parts, decoded).
 */
import { Resources, type KubeObject } from '@flotilla/kube';
import { type Database, DatabaseConditions, DatabaseResource, findCondition } from '@flotilla/operator';
import { eventually, getOrUndefined } from '@flotilla/testing';
import type { NodeCluster } from './cluster.ts';
import { ADMIN_SECRET } from './database-server.ts';
import { NAMESPACE } from './system.ts';

export function isDatabaseReady(db: Database): boolean {
  return (
    db.metadata.deletionTimestamp === undefined &&
    db.status?.observedGeneration === db.metadata.generation &&
    findCondition(db.status?.conditions, DatabaseConditions.Ready)?.status === 'True'
  );
}

/** A PostgreSQL Database on the examples' administrator Secret. */
export async function createDatabase(
  cluster: NodeCluster,
  name: string,
  databaseName: string,
  deletionPolicy: 'Retain' | 'Delete',
): Promise<Database> {
  return await cluster.client.create<Database>(DatabaseResource, {
    apiVersion: 'flotilla.dev/v1alpha1',
    kind: 'Database',
    metadata: { name, namespace: NAMESPACE },
    spec: { engine: 'postgresql', server: { secretRef: { ...ADMIN_SECRET } }, databaseName, deletionPolicy },
  });
}

export async function waitForDatabaseReady(cluster: NodeCluster, name: string, timeoutMs: number): Promise<Database> {
  return await eventually(
    async () => {
      const db = await cluster.client.get<Database>(DatabaseResource, NAMESPACE, name);
      // Thrown, so that a timeout shows the status it ended on.
      if (!isDatabaseReady(db)) throw new Error(`status ${JSON.stringify(db.status)}`);
      return db;
    },
    { timeoutMs, intervalMs: 100, message: `Database ${name} Ready` },
  );
}

/** Deleted and gone: with the operator's finalizer, only once the deletion policy is carried out. */
export async function deleteDatabase(cluster: NodeCluster, name: string, timeoutMs: number): Promise<void> {
  await cluster.client.delete(DatabaseResource, NAMESPACE, name);
  await eventually(
    async () => (await getOrUndefined(() => cluster.client.get<Database>(DatabaseResource, NAMESPACE, name))) === undefined,
    {
      timeoutMs,
      intervalMs: 100,
      message: `Database ${name} gone`,
    },
  );
}

export interface Secret extends KubeObject {
  data?: Record<string, string>;
}

/** The application Secret's values (dsn, host, port, database, username, password), decoded. */
export function secretValues(secret: Secret): Record<string, string> {
  return Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
}

export async function getSecret(cluster: NodeCluster, name: string): Promise<Secret | undefined> {
  return await getOrUndefined(() => cluster.client.get<Secret>(Resources.Secret, NAMESPACE, name));
}
