import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  currentCredentials,
  isControlledBy,
  isLeftBehind,
  mergedForReplace,
  needsWrite,
  renderAppSecret,
  secretDataHash,
} from '../../../src/database/app-secret.ts';
import { parseServerDsn } from '../../../src/database/dsn.ts';
import type { Database } from '../../../src/database/types.ts';

const db: Database = {
  apiVersion: 'flotilla.dev/v1alpha1',
  kind: 'Database',
  metadata: { name: 'orders', namespace: 'shop', uid: 'uid-1' },
  spec: { engine: 'postgresql', server: { secretRef: { name: 'pg' } }, databaseName: 'orders', passwordRotation: 'r1' },
};
const server = parseServerDsn('postgresql', 'postgres://admin:x@db.internal:5432/postgres');
const decode = (value: string | undefined) => Buffer.from(value ?? '', 'base64').toString('utf8');

test('the Secret: owned by the Database, the DSN and its parts, the rotation it was made for', () => {
  const secret = renderAppSecret(db, server, 'pw');
  assert.equal(secret.metadata.name, 'orders-db-credentials');
  assert.equal(secret.metadata.namespace, 'shop');
  assert.deepEqual(secret.metadata.ownerReferences, [
    { apiVersion: 'flotilla.dev/v1alpha1', kind: 'Database', name: 'orders', uid: 'uid-1', controller: true, blockOwnerDeletion: true },
  ]);
  assert.equal(decode(secret.data?.dsn), 'postgres://orders:pw@db.internal:5432/orders');
  assert.equal(decode(secret.data?.username), 'orders');
  assert.equal(decode(secret.data?.port), '5432');
  assert.equal(secret.metadata.annotations?.['flotilla.dev/password-rotation'], 'r1');
  assert.deepEqual(currentCredentials(secret), { password: 'pw', rotation: 'r1' });
  assert.equal(isControlledBy(secret, db), true);
  assert.equal(isLeftBehind(secret, db), false);
  assert.equal(isLeftBehind(secret, { ...db, metadata: { ...db.metadata, uid: 'uid-2' } }), true, 'an earlier Database of the same name');
  assert.equal(currentCredentials(undefined), undefined);
});

test('written only when something we set differs; labels and annotations of others are kept', () => {
  const desired = renderAppSecret(db, server, 'pw');
  const live = {
    ...desired,
    metadata: { ...desired.metadata, resourceVersion: '7', labels: { ...desired.metadata.labels, team: 'a' } },
  };
  assert.equal(needsWrite(live, desired), false);
  assert.equal(needsWrite(live, renderAppSecret(db, server, 'other')), true);
  assert.equal(needsWrite({ ...live, data: { ...live.data, extra: 'eA==' } }, desired), true, 'an extra key');
  assert.equal(needsWrite(live, renderAppSecret({ ...db, spec: { ...db.spec, passwordRotation: 'r2' } }, server, 'pw')), true);
  const merged = mergedForReplace(live, renderAppSecret(db, server, 'other'));
  assert.equal(merged.metadata.resourceVersion, '7');
  assert.equal(merged.metadata.labels?.team, 'a');
});

test('the data hash changes with the data and only with it', () => {
  const a = renderAppSecret(db, server, 'pw');
  const b = renderAppSecret(db, server, 'pw');
  b.metadata.labels = { other: 'label' };
  assert.equal(secretDataHash(a), secretDataHash(b));
  assert.notEqual(secretDataHash(a), secretDataHash(renderAppSecret(db, server, 'pw2')));
  assert.match(secretDataHash(a), /^[0-9a-f]{16}$/);
});
