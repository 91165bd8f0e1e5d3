// The application Secret: the DSN (key dsn) and its parts, owned by the Database so it goes
// with it. Its annotation records the spec.passwordRotation the password was made for, in the
// same write as the password: a rotation is pending exactly when the two differ.
import { createHash } from 'node:crypto';
import { controllerOf, type KubeObject } from '@flotilla/kube';
import { controllerReference } from '../runtime/owners.ts';
import { MANAGED_BY, MANAGED_BY_LABEL } from '../microservice/render.ts';
import { dsnFor, type ServerDsn } from './dsn.ts';
import { appSecretName, DATABASE_LABEL, type Database, DSN_KEY, ROTATION_ANNOTATION } from './types.ts';

export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

export function isControlledBy(secret: Secret, db: Database): boolean {
  return controllerOf(secret)?.uid === db.metadata.uid;
}

function decoded(secret: Secret, key: string): string | undefined {
  const value = secret.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

/** Made for an earlier Database of the same name (deleted, then created again): the garbage collector deletes it. */
export function isLeftBehind(secret: Secret, db: Database): boolean {
  const owner = controllerOf(secret);
  return owner !== undefined && owner.kind === 'Database' && owner.name === db.metadata.name && owner.uid !== db.metadata.uid;
}

/** The password in a live application Secret, and the rotation it was made for. */
export function currentCredentials(secret: Secret | undefined): { password: string; rotation: string } | undefined {
  const password = secret && decoded(secret, 'password');
  if (!secret || !password) return undefined;
  return { password, rotation: secret.metadata.annotations?.[ROTATION_ANNOTATION] ?? '' };
}

export function rotationOf(db: Database): string {
  return db.spec.passwordRotation ?? '';
}

export function renderAppSecret(db: Database, server: ServerDsn, password: string): Secret {
  const name = db.spec.databaseName;
  const values: Record<string, string> = {
    [DSN_KEY]: dsnFor(server, name, password, name),
    host: server.host,
    port: String(server.port),
    database: name,
    username: name,
    password,
  };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: appSecretName(db),
      namespace: db.metadata.namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [DATABASE_LABEL]: db.metadata.name! },
      annotations: { [ROTATION_ANNOTATION]: rotationOf(db) },
      ownerReferences: [controllerReference(db)],
    },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(values).map(([key, value]) => [key, Buffer.from(value, 'utf8').toString('base64')])),
  };
}

/** Whether `live` lacks what `desired` says (data, our labels and annotation, the owner). */
export function needsWrite(live: Secret, desired: Secret): boolean {
  const same = (a: Record<string, string> | undefined, b: Record<string, string> | undefined) =>
    Object.entries(b ?? {}).every(([key, value]) => a?.[key] === value);
  return (
    Object.keys(live.data ?? {}).length !== Object.keys(desired.data ?? {}).length ||
    !same(live.data, desired.data) ||
    !same(live.metadata.labels, desired.metadata.labels) ||
    !same(live.metadata.annotations, desired.metadata.annotations) ||
    controllerOf(live)?.uid !== controllerOf(desired)?.uid
  );
}

/** `desired` over `live`, keeping labels and annotations others added, for a replace guarded by resourceVersion. */
export function mergedForReplace(live: Secret, desired: Secret): Secret {
  return {
    ...desired,
    metadata: {
      ...desired.metadata,
      resourceVersion: live.metadata.resourceVersion,
      labels: { ...live.metadata.labels, ...desired.metadata.labels },
      annotations: { ...live.metadata.annotations, ...desired.metadata.annotations },
    },
  };
}

/** A short digest of the Secret's data: on a pod template it rolls the Pods when the data changes. */
export function secretDataHash(secret: Secret): string {
  const entries = Object.entries(secret.data ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 16);
}
