// The Microservice side of spec.database: the rendered Pod template and the DatabaseReady condition.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { databaseEnvName, renderDeployment } from '../../../src/microservice/render.ts';
import { computeStatus } from '../../../src/microservice/status.ts';
import type { Microservice } from '../../../src/microservice/types.ts';

const ms: Microservice = {
  apiVersion: 'flotilla.dev/v1alpha1',
  kind: 'Microservice',
  metadata: { name: 'order-history', namespace: 'shop', uid: 'u', generation: 2 },
  spec: { image: 'x:1', database: { name: 'history' }, env: [{ name: 'PLAIN', value: 'v' }] },
};
const secret = { name: 'history-db-credentials', key: 'dsn', hash: '0123456789abcdef' };
// biome-ignore lint/suspicious/noExplicitAny: reads into the rendered Deployment
const template = (object: any) => object.spec.template;

test('the DSN comes by reference under <NAME>_DATABASE_URL, first, with the Secret hash on the template', () => {
  assert.equal(databaseEnvName(ms), 'ORDER_HISTORY_DATABASE_URL');
  assert.equal(databaseEnvName({ ...ms, spec: { ...ms.spec, database: { name: 'h', env: 'DSN' } } }), 'DSN');
  const rendered = template(renderDeployment(ms, secret).object);
  assert.deepEqual(rendered.spec.containers[0].env, [
    { name: 'ORDER_HISTORY_DATABASE_URL', valueFrom: { secretKeyRef: { name: 'history-db-credentials', key: 'dsn' } } },
    { name: 'PLAIN', value: 'v' },
  ]);
  assert.equal(rendered.metadata.annotations['flotilla.dev/database-secret-hash'], '0123456789abcdef');
  const without = template(renderDeployment(ms).object);
  assert.equal(without.metadata.annotations['flotilla.dev/database-secret-hash'], undefined);
  assert.deepEqual(without.spec.containers[0].env, [{ name: 'PLAIN', value: 'v' }]);
});

test('DatabaseReady follows the Database; without a Deployment yet, Available says it waits', () => {
  const waiting = computeStatus({
    ms,
    deployment: undefined,
    database: { status: 'False', reason: 'DatabaseNotFound', message: 'no such Database' },
  });
  const byType = Object.fromEntries((waiting.conditions ?? []).map((c) => [c.type, [c.status, c.reason]]));
  assert.deepEqual(byType.DatabaseReady, ['False', 'DatabaseNotFound']);
  assert.deepEqual(byType.Available, ['False', 'WaitingForDatabase']);
  const dropped = computeStatus({ ms: { ...ms, spec: { image: 'x:1' }, status: waiting }, deployment: undefined });
  assert.equal(
    dropped.conditions?.some((c) => c.type === 'DatabaseReady'),
    false,
    'no spec.database, no condition',
  );
});
