import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type KubeObject, keepOnly, LAST_APPLIED_ANNOTATION, project, withoutBookkeeping } from '@flotilla/kube';

const live = (): KubeObject & Record<string, unknown> => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'shop',
    resourceVersion: '42',
    labels: { app: 'web' },
    annotations: { [LAST_APPLIED_ANNOTATION]: '{"big":"copy"}', 'deployment.kubernetes.io/revision': '1' },
    managedFields: [{ manager: 'flotilla-operator', operation: 'Apply', fieldsV1: { 'f:spec': {} } }],
  } as KubeObject['metadata'],
  spec: { replicas: 2, template: { spec: { containers: [{ name: 'app', image: 'web:1', imagePullPolicy: 'IfNotPresent' }] } } },
  status: { replicas: 2, conditions: [{ type: 'Available', status: 'True', lastUpdateTime: '2026-01-01T00:00:00Z' }] },
});

test('a shape keeps the keys it names, whole values under true, and arrays element by element', () => {
  const kept = project(live(), {
    metadata: { name: true, labels: true },
    spec: { template: { spec: { containers: { name: true, image: true } } } },
    status: { conditions: { type: true, status: true }, missing: true },
  });
  assert.deepEqual(kept, {
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: { template: { spec: { containers: [{ name: 'app', image: 'web:1' }] } } },
    status: { conditions: [{ type: 'Available', status: 'True' }] },
  });
});

test('a shape leaves scalars, null and absent values as they are', () => {
  assert.equal(project('text', { a: true }), 'text');
  assert.equal(project(null, { a: true }), null);
  assert.deepEqual(project({ a: null, b: 1 }, { a: { x: true }, c: true }), { a: null });
});

test('keepOnly makes a transform that does not change its input', () => {
  const input = live();
  const before = JSON.stringify(input);
  const kept = keepOnly({ metadata: { name: true, resourceVersion: true } })(input);
  assert.deepEqual(kept, { metadata: { name: 'web', resourceVersion: '42' } });
  assert.equal(JSON.stringify(input), before);
});

test('withoutBookkeeping drops managedFields and the last-applied annotation, and keeps the rest', () => {
  const input = live();
  const kept = withoutBookkeeping(input) as ReturnType<typeof live>;
  assert.equal('managedFields' in kept.metadata, false);
  assert.deepEqual(kept.metadata.annotations, { 'deployment.kubernetes.io/revision': '1' });
  assert.deepEqual(kept.spec, input.spec);
  assert.deepEqual(kept.status, input.status);
  assert.equal(kept.metadata.resourceVersion, '42');
  // The input is not changed: it may still be referenced elsewhere.
  assert.ok('managedFields' in input.metadata);
  const bare: KubeObject = { metadata: { name: 'bare' } };
  assert.equal(withoutBookkeeping(bare).metadata.annotations, undefined);
});
