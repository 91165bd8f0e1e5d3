// Where the Microservice CRD's CEL rules sit (their effect on the API server is in
// test/integration/admission/cel.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { microserviceCrd } from '../../../src/microservice/crd.ts';
import { withSpecValidations } from '../../../src/microservice/validations.ts';

type Rules = { rule: string; message: string }[];
// biome-ignore lint/suspicious/noExplicitAny: walks the generated schema
type Node = Record<string, any>;

const root = (microserviceCrd() as Node).spec.versions[0].schema.openAPIV3Schema as Node;
const spec = root.properties.spec as Node;
const rules = (node: Node): string[] => ((node['x-kubernetes-validations'] ?? []) as Rules).map((r) => r.message);

test('cross-field rules sit on the object whose fields they compare', () => {
  assert.match(rules(root)[0]!, /^metadata.name must be a DNS-1035 label/);
  assert.match(rules(spec)[0]!, /set either spec.replicas or spec.autoscaling, not both/);
  assert.match(rules(spec.properties.autoscaling)[0]!, /minReplicas must not be greater than/);
  assert.equal(rules(spec.properties.ports).length, 3, 'http/grpc, http/metrics, grpc/metrics');
  assert.equal(rules(spec.properties.rollout).length, 2);
  assert.match(rules(spec.properties.env)[0]!, /names must be unique/);
  assert.deepEqual(rules(spec.properties.env.items), ['set exactly one of value and secretKeyRef'], 'the per-item rule stays');
  assert.equal(spec.properties.env.maxItems, 128, 'bounded, so the API server can cost the rule');
  assert.equal(spec.properties.replicas.default, undefined, 'a defaulted replicas would clash with autoscaling');
});

test('the rule on spec.database.name is added only where the schema has that field', () => {
  const without = withSpecValidations({ type: 'object', properties: { autoscaling: {}, ports: {}, rollout: {}, env: {} } });
  assert.equal((without.properties as Node).database, undefined);
  const withDatabase = withSpecValidations({
    type: 'object',
    properties: {
      autoscaling: {},
      ports: {},
      rollout: {},
      env: {},
      database: { type: 'object', properties: { name: { type: 'string' } } },
    },
  });
  assert.match(rules((withDatabase.properties as Node).database)[0]!, /spec.database.name cannot be changed/);
  assert.throws(
    () => withSpecValidations({ type: 'object', properties: {} }),
    /rules for spec.autoscaling, which the schema does not have/,
  );
});
