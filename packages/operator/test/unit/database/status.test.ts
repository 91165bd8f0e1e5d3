import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProvisioningError } from '../../../src/database/errors.ts';
import { computeStatus, statusChanged } from '../../../src/database/status.ts';
import type { Database } from '../../../src/database/types.ts';

const db: Database = {
  metadata: { name: 'orders', namespace: 'shop', generation: 3 },
  spec: { engine: 'mysql', server: { secretRef: { name: 'my' } }, databaseName: 'orders', deletionPolicy: 'Delete' },
  status: { observedGeneration: 2 },
};
const byType = (status: ReturnType<typeof computeStatus>) =>
  Object.fromEntries((status.conditions ?? []).map((c) => [c.type, [c.status, c.reason]]));

test('ready: both conditions, the Secret, the version, the generation observed', () => {
  const status = computeStatus(db, { kind: 'ready', secretName: 'orders-db-credentials', serverVersion: '10.11' });
  assert.deepEqual(byType(status), { Ready: ['True', 'Provisioned'], Degraded: ['False', 'AsExpected'] });
  assert.equal(status.observedGeneration, 3);
  assert.equal(status.secretName, 'orders-db-credentials');
  assert.equal(status.serverVersion, '10.11');
  assert.ok(status.conditions?.every((c) => c.observedGeneration === 3));
});

test('failed: Ready False and Degraded True with the reason; the generation is not observed', () => {
  const status = computeStatus(db, { kind: 'failed', error: new ProvisioningError('ServerUnreachable', 'cannot reach x') });
  assert.deepEqual(byType(status), { Ready: ['False', 'ServerUnreachable'], Degraded: ['True', 'ServerUnreachable'] });
  assert.equal(status.observedGeneration, 2);
});

test('deleting: why the finalizer stays, and the way out', () => {
  const status = computeStatus(db, { kind: 'deleting', error: new ProvisioningError('ServerUnreachable', 'cannot reach x') });
  assert.deepEqual(byType(status), { Ready: ['False', 'Deleting'], Degraded: ['True', 'ServerUnreachable'] });
  assert.match(status.conditions!.find((c) => c.type === 'Degraded')!.message, /finalizer stays .*spec\.deletionPolicy to Retain/);
});

test('transition times alone are no change', () => {
  const first = computeStatus(db, { kind: 'ready', secretName: 's', serverVersion: 'v' }, new Date('2024-01-01T00:00:00Z'));
  const again = computeStatus(
    { ...db, status: first },
    { kind: 'ready', secretName: 's', serverVersion: 'v' },
    new Date('2024-02-01T00:00:00Z'),
  );
  assert.equal(statusChanged(first, again), false);
  assert.equal(first.conditions![0]!.lastTransitionTime, again.conditions![0]!.lastTransitionTime);
});
