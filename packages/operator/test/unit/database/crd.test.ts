import assert from 'node:assert/strict';
import { test } from 'node:test';
import { databaseCrd } from '../../../src/database/crd.ts';

// biome-ignore lint/suspicious/noExplicitAny: walks deep into the generated JSON schema
const root = (databaseCrd() as any).spec.versions[0].schema.openAPIV3Schema;
const spec = root.properties.spec;

test('the Database schema: required fields, enums, defaults', () => {
  assert.deepEqual(spec.required, ['engine', 'server', 'databaseName']);
  assert.deepEqual(spec.properties.engine.enum, ['postgresql', 'mysql']);
  assert.deepEqual(spec.properties.deletionPolicy.enum, ['Retain', 'Delete']);
  assert.equal(spec.properties.deletionPolicy.default, 'Retain');
  assert.equal(spec.properties.server.properties.secretRef.properties.key.default, 'dsn');
  assert.equal(spec.properties.databaseName.pattern, '^[a-z][a-z0-9_]*$');
  const text = JSON.stringify(root);
  assert.ok(!text.includes('"anyOf"') && !text.includes('"const"'));
});

test('CEL: engine and databaseName are immutable, reserved names and long MySQL names refused, with messages', () => {
  const rules = (schema: { 'x-kubernetes-validations'?: { rule: string; message: string }[] }) => schema['x-kubernetes-validations'] ?? [];
  assert.ok(rules(spec.properties.engine).some((r) => r.rule === 'self == oldSelf' && /spec\.engine cannot be changed/.test(r.message)));
  assert.ok(
    rules(spec.properties.databaseName).some((r) => r.rule === 'self == oldSelf' && /spec\.databaseName cannot be changed/.test(r.message)),
  );
  assert.ok(rules(spec.properties.databaseName).some((r) => r.rule.includes("'postgres'") && r.rule.includes("startsWith('pg_')")));
  assert.ok(rules(spec).some((r) => r.rule.includes('size(self.databaseName) <= 32')));
  assert.ok(rules(root).some((r) => r.rule.includes('size(self.metadata.name) <= 63')));
});
