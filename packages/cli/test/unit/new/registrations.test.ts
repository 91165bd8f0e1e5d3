/** The edits that add a service to the repository's shared lists: exact results, idempotence, and today's files. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '@flotilla/testing';
import { serviceNames } from '../../../src/new/names.ts';
import {
  addBundleEntry,
  addContractsNamespace,
  addGatewayRoute,
  addImage,
  addKustomizeResource,
  addProjectReference,
  addToServiceLayer,
  gatewayMentions,
} from '../../../src/new/registrations.ts';

const names = serviceNames('stock-levels');
const repositoryFile = (path: string): string => readFileSync(join(repoRoot, path), 'utf8');

test('tsconfig.json: one project reference, added once', () => {
  const text = '{\n  "files": [],\n  "references": [\n    {\n      "path": "packages/core"\n    }\n  ]\n}\n';
  const added = addProjectReference(text, 'services/stock-levels') as string;
  assert.deepEqual(JSON.parse(added).references, [{ path: 'packages/core' }, { path: 'services/stock-levels' }]);
  assert.equal(addProjectReference(added, 'services/stock-levels'), added);
  assert.equal(addProjectReference('{}', 'services/x'), undefined);
});

test('.dependency-cruiser.cjs: the layer holding the other services', () => {
  const text = "const packageLayers = [\n  ['core'],\n  ['gateway', 'users'],\n  ['cli'],\n];\n";
  const added = addToServiceLayer(text, 'stock-levels', ['users']);
  assert.equal(added, "const packageLayers = [\n  ['core'],\n  ['gateway', 'users', 'stock-levels'],\n  ['cli'],\n];\n");
  assert.equal(addToServiceLayer(added as string, 'stock-levels', ['users']), added);
  assert.equal(addToServiceLayer(text, 'x', ['orders']), undefined);
});

test('scripts/bundle.mjs: after the last service entry', () => {
  const text = "const entries = ['services/users', 'services/greeter', 'packages/gateway'];\n";
  assert.equal(
    addBundleEntry(text, 'services/stock-levels'),
    "const entries = ['services/users', 'services/greeter', 'services/stock-levels', 'packages/gateway'];\n",
  );
  assert.equal(addBundleEntry('const others = [];', 'services/x'), undefined);
});

test('scripts/images/images.ts: an ImageSpec after the last service image', () => {
  const text = [
    'export const IMAGES: readonly ImageSpec[] = [',
    '  {',
    "    name: 'flotilla/users',",
    "    bundle: 'services/users/dist/bundle.mjs',",
    '  },',
    '  {',
    "    name: 'flotilla/gateway',",
    "    bundle: 'packages/gateway/dist/bundle.mjs',",
    '  },',
    '];',
  ].join('\n');
  const added = addImage(text, names, [8086], false) as string;
  const lines = added.split('\n');
  assert.equal(lines[5], '  {');
  assert.equal(lines[6], "    name: 'flotilla/stock-levels',");
  assert.ok(
    added.includes(
      "    ports: [8086],\n    description: 'Flotilla stock-levels service (REST)',\n  },\n  {\n    name: 'flotilla/gateway',",
    ),
  );
  assert.equal(addImage(added, names, [8086], false), added);
});

test('kustomization.yaml: one more resource', () => {
  const text = '# apply me\nnamespace: default\nresources:\n  - users.yaml\n  - gateway.yaml\n';
  assert.equal(
    addKustomizeResource(text, 'stock-levels.yaml'),
    '# apply me\nnamespace: default\nresources:\n  - users.yaml\n  - gateway.yaml\n  - stock-levels.yaml\n',
  );
});

test('gateway.yaml: an upstream and a route under /api, comments and other blocks kept', () => {
  const text = [
    'upstreams:',
    '  users: {}',
    '',
    'proxy:',
    '  defaultTimeoutMs: 10000',
    '',
    'routes:',
    '  - { name: users, path: /api/users/**, upstream: users, stripPrefix: /api }',
    '',
    '# governance',
    'auth: {}',
  ].join('\n');
  assert.equal(
    addGatewayRoute(text, 'stock-levels'),
    [
      'upstreams:',
      '  users: {}',
      '  stock-levels: {}',
      '',
      'proxy:',
      '  defaultTimeoutMs: 10000',
      '',
      'routes:',
      '  - { name: users, path: /api/users/**, upstream: users, stripPrefix: /api }',
      '  - { name: stock-levels, path: /api/stock-levels/**, upstream: stock-levels, stripPrefix: /api }',
      '',
      '# governance',
      'auth: {}',
    ].join('\n'),
  );
  assert.ok(gatewayMentions(text, 'users'));
  assert.ok(!gatewayMentions(text, 'stock-levels'));
  assert.equal(addGatewayRoute('routes: []\n', 'x'), undefined);
});

test('packages/contracts/src/index.ts: a namespace after the last one', () => {
  const text = "export * as users from './users.ts';\nexport { descriptorSet } from './descriptor-set.ts';\n";
  assert.equal(
    addContractsNamespace(text, names),
    "export * as users from './users.ts';\nexport * as stockLevels from './stock-levels.ts';\nexport { descriptorSet } from './descriptor-set.ts';\n",
  );
});

test("the repository's own files still have the layout these edits expect", () => {
  const services = ['users', 'orders', 'greeter'];
  assert.match(addProjectReference(repositoryFile('tsconfig.json'), 'services/stock-levels') ?? '', /"services\/stock-levels"/);
  assert.match(addToServiceLayer(repositoryFile('.dependency-cruiser.cjs'), 'stock-levels', services) ?? '', /'stock-levels'\]/);
  assert.match(addBundleEntry(repositoryFile('scripts/bundle.mjs'), 'services/stock-levels') ?? '', /'services\/stock-levels'/);
  assert.match(addImage(repositoryFile('scripts/images/images.ts'), names, [8086, 9086], true) ?? '', /flotilla\/stock-levels/);
  assert.match(
    addKustomizeResource(repositoryFile('deploy/kubernetes/examples/kustomization.yaml'), 'stock-levels.yaml') ?? '',
    /- stock-levels\.yaml/,
  );
  assert.match(addContractsNamespace(repositoryFile('packages/contracts/src/index.ts'), names) ?? '', /stockLevels/);
  for (const ns of ['dev', 'staging', 'prod']) {
    assert.match(addGatewayRoute(repositoryFile(`config/${ns}/gateway.yaml`), 'stock-levels') ?? '', /path: \/api\/stock-levels\/\*\*/, ns);
  }
});
