// The Database controller's cache transforms keep what its readers use: the finalizer guard,
// the owner mark and the status of a Database; the DSN, its hash and the owner of a Secret.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { controllerOf, LAST_APPLIED_ANNOTATION } from '@flotilla/kube';
import {
  currentCredentials,
  isControlledBy,
  mergedForReplace,
  needsWrite,
  type Secret,
  secretDataHash,
} from '../../../src/database/app-secret.ts';
import { appSecretCacheTransform, databaseCacheTransform } from '../../../src/database/cache-shapes.ts';
import { ownerMark } from '../../../src/database/ownership.ts';
import { DATABASE_FINALIZER, type Database } from '../../../src/database/types.ts';
import { hasFinalizer } from '../../../src/runtime/finalizers.ts';
import { controllerReference } from '../../../src/runtime/owners.ts';

const bookkeeping = {
  managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:spec': {} } }],
  annotations: { [LAST_APPLIED_ANNOTATION]: '{"spec":{}}' },
  labels: { team: 'a' },
  creationTimestamp: '2026-01-01T00:00:00Z',
};

const db: Database = {
  apiVersion: 'flotilla.dev/v1alpha1',
  kind: 'Database',
  metadata: {
    name: 'orders',
    namespace: 'shop',
    uid: 'uid-db',
    generation: 2,
    resourceVersion: '88',
    deletionTimestamp: '2026-01-02T00:00:00Z',
    finalizers: ['other.example/x', DATABASE_FINALIZER],
  },
  spec: { engine: 'postgresql', server: { secretRef: { name: 'pg', key: 'admin' } }, databaseName: 'orders', deletionPolicy: 'Delete' },
  status: { observedGeneration: 2, secretName: 'orders-db-credentials', serverVersion: '17.1', conditions: [] },
};

test('a trimmed Database keeps its spec, status, finalizers, resourceVersion and owner identity', () => {
  const served = { ...structuredClone(db), metadata: { ...structuredClone(db.metadata), ...bookkeeping } } as Database;
  const kept = databaseCacheTransform(served) as Database;
  assert.deepEqual(kept, db);
  assert.ok(hasFinalizer(kept, DATABASE_FINALIZER));
  assert.equal(ownerMark(kept), ownerMark(served));
  assert.deepEqual(controllerReference(kept), controllerReference(served));
});

test('a trimmed application Secret keeps what the reconciler and the bindings read', () => {
  const served: Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: 'orders-db-credentials',
      namespace: 'shop',
      resourceVersion: '90',
      ownerReferences: [controllerReference(db)],
      ...bookkeeping,
      labels: { 'app.kubernetes.io/managed-by': 'flotilla-operator', 'flotilla.dev/database': 'orders' },
      annotations: { ...bookkeeping.annotations, 'flotilla.dev/password-rotation': '2026-01' },
    } as Secret['metadata'],
    data: { dsn: Buffer.from('postgres://orders:pw@db:5432/orders').toString('base64'), password: 'cHc=' },
  };
  const kept = appSecretCacheTransform(served) as Secret;
  assert.equal('managedFields' in kept.metadata, false);
  assert.deepEqual(kept.metadata.annotations, { 'flotilla.dev/password-rotation': '2026-01' });
  assert.deepEqual(currentCredentials(kept), currentCredentials(served));
  // What the reconciler would write: no change needed, and a replace guarded by the cached version.
  const desired: Secret = {
    ...served,
    metadata: {
      name: served.metadata.name,
      namespace: 'shop',
      labels: served.metadata.labels,
      annotations: { 'flotilla.dev/password-rotation': '2026-01' },
      ownerReferences: served.metadata.ownerReferences,
    },
  };
  assert.equal(needsWrite(kept, desired), false);
  assert.equal(mergedForReplace(kept, desired).metadata.resourceVersion, '90');
  assert.deepEqual(kept.data, served.data);
  assert.equal(secretDataHash(kept), secretDataHash(served));
  assert.ok(isControlledBy(kept, db));
  assert.deepEqual(controllerOf(kept), controllerOf(served));
  assert.equal(kept.metadata.resourceVersion, '90');
});
