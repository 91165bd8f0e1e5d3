import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { crdFiles } from '../../../src/microservice/crd-files.ts';
import { microserviceCrd } from '../../../src/microservice/crd.ts';
import { containedIn, hasDrifted } from '../../../src/microservice/drift.ts';

test('the CRD files in deploy/kubernetes/crds match the TypeBox types (run npm run generate:crds)', async () => {
  for (const file of crdFiles()) {
    const onDisk = await readFile(file.path, 'utf8').catch(() => '');
    assert.equal(onDisk, file.content, `${file.path} is stale: run npm run generate:crds -w @flotilla/operator`);
  }
});

test('the generated schema is structural: records become additionalProperties, literal unions enums', () => {
  const crd = microserviceCrd() as {
    // biome-ignore lint/suspicious/noExplicitAny: walks deep into the generated JSON schema
    spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: Record<string, any> } } } }[] };
  };
  const spec = crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec;
  assert.deepEqual(spec.required, ['image']);
  assert.deepEqual(spec.properties.config.properties.inline.additionalProperties, { type: 'string' });
  assert.equal(spec.properties.config.properties.inline.patternProperties, undefined);
  assert.deepEqual(spec.properties.rollout.properties.strategy.enum, ['RollingUpdate', 'Recreate']);
  assert.equal(spec.properties.probes.properties.liveness.properties.path.default, '/healthz');
  assert.equal(spec.properties.probes.properties.readiness.properties.path.default, '/readyz');
  const text = JSON.stringify(crd);
  assert.ok(!text.includes('"anyOf"') && !text.includes('"const"') && !text.includes('"$id"'));
});

test('drift: server defaults are not drift, a changed or missing field is', () => {
  const desired = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 's',
      labels: { a: '1' },
      ownerReferences: [{ apiVersion: 'x/v1', kind: 'X', name: 'o', uid: 'u1' }],
    },
    spec: { ports: [{ port: 80 }] },
  };
  const live = {
    metadata: { name: 's', labels: { a: '1', extra: 'y' }, ownerReferences: [{ uid: 'u1' }], resourceVersion: '9' },
    spec: { ports: [{ port: 80, protocol: 'TCP' }], clusterIP: '10.0.0.9' },
  };
  assert.equal(hasDrifted(desired, live), false);
  assert.equal(hasDrifted(desired, undefined), true);
  assert.equal(hasDrifted(desired, { ...live, spec: { ports: [{ port: 81 }] } }), true);
  assert.equal(hasDrifted(desired, { ...live, metadata: { ...live.metadata, labels: {} } }), true);
  assert.equal(containedIn([1, 2], [1, 2, 3]), false, 'lists must match in length');
});
