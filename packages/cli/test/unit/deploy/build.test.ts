/**
 * The kustomize subset `flotilla deploy render` carries out, on small kustomizations in a
 * temporary folder: what each feature does to the objects, the print order, and a clear
 * error (with its kind, hence its exit code) for everything it does not do.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { NotFoundError, UnprocessableError } from '@flotilla/core';
import { repoRoot, tempDir } from '@flotilla/testing';
import { parse } from 'yaml';
import { buildKustomization } from '../../../src/deploy/build.ts';
import { environments, overlayOf } from '../../../src/deploy/environments.ts';
import type { Manifest } from '../../../src/deploy/manifest.ts';
import { printDocuments } from '../../../src/deploy/yaml-files.ts';
import { UsageError } from '../../../src/exit-codes.ts';

const dir = tempDir('deploy-build');
after(() => dir.remove());
let cases = 0;

/** A new folder with these files; returns its path. */
function fixture(files: Record<string, string>): string {
  const root = join(dir.path, `case-${++cases}`);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const build = (root: string, folder = 'app'): Manifest[] => buildKustomization(join(root, folder), root);
const names = (objects: Manifest[]): string[] => objects.map((o) => `${o.kind}/${(o.metadata as { name: string }).name}`);
const byName = (objects: Manifest[], name: string): Manifest =>
  objects.find((o) => (o.metadata as { name: string }).name === name) as Manifest;

const microservice = (name: string, spec: string): string =>
  `apiVersion: flotilla.dev/v1alpha1\nkind: Microservice\nmetadata:\n  name: ${name}\n  namespace: default\nspec:\n${spec}`;

describe('namespace', () => {
  const files = {
    'app/kustomization.yaml': 'namespace: shop\nresources: [objects.yaml]\n',
    'app/objects.yaml': [
      'apiVersion: v1\nkind: Namespace\nmetadata: { name: anything }',
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: { name: reader }',
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: { name: b, namespace: default }\nroleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: r }\nsubjects:\n  - { kind: ServiceAccount, name: default, namespace: default }\n  - { kind: ServiceAccount, name: app, namespace: default }',
      microservice('users', '  replicas: 1'),
    ].join('\n---\n'),
  };

  test('`namespace:` moves namespaced objects, renames the Namespace, leaves cluster-wide ones, moves only subjects named default', () => {
    const objects = build(fixture(files));
    assert.deepEqual(byName(objects, 'shop').metadata, { name: 'shop' });
    assert.deepEqual(byName(objects, 'reader').metadata, { name: 'reader' });
    assert.equal((byName(objects, 'users').metadata as { namespace: string }).namespace, 'shop');
    assert.deepEqual(byName(objects, 'b').subjects, [
      { kind: 'ServiceAccount', name: 'default', namespace: 'shop' },
      { kind: 'ServiceAccount', name: 'app', namespace: 'default' },
    ]);
  });

  test('a NamespaceTransformer with setRoleBindingSubjects: allServiceAccounts moves every ServiceAccount subject', () => {
    const transformer =
      'transformers:\n  - |-\n    apiVersion: builtin\n    kind: NamespaceTransformer\n    metadata: { name: t, namespace: shop }\n    setRoleBindingSubjects: allServiceAccounts\n';
    const root = fixture({ ...files, 'app/kustomization.yaml': `namespace: shop\nresources: [objects.yaml]\n${transformer}` });
    const subjects = byName(build(root), 'b').subjects as Array<{ namespace: string }>;
    assert.deepEqual(
      subjects.map((s) => s.namespace),
      ['shop', 'shop'],
    );
  });
});

describe('patches', () => {
  const base = {
    'app/kustomization.yaml': 'resources: [objects.yaml]\npatches:\n  - path: patch.yaml\n',
    'app/objects.yaml': [
      microservice(
        'users',
        '  replicas: 2\n  autoscaling: { maxReplicas: 4 }\n  env: [{ name: A, value: "1" }]\n  resources: { requests: { cpu: 1m, memory: 1Mi } }',
      ),
      microservice('orders', '  replicas: 2'),
    ].join('\n---\n'),
  };

  test('a strategic merge on a custom resource: maps merge, null removes, lists replace', () => {
    const patch = microservice(
      'users',
      '  autoscaling: null\n  env: [{ name: B, value: "2" }]\n  resources: { requests: { cpu: 5m } }',
    ).replace('  namespace: default\n', '');
    const users = byName(build(fixture({ ...base, 'app/patch.yaml': patch })), 'users');
    assert.deepEqual(users.spec, { replicas: 2, env: [{ name: 'B', value: '2' }], resources: { requests: { cpu: '5m', memory: '1Mi' } } });
    assert.deepEqual(users.metadata, { name: 'users', namespace: 'default' });
  });

  test('with a target, the patch changes every object selected (name is a whole-value regular expression), whatever name it has', () => {
    const kustomization =
      "resources: [objects.yaml]\npatches:\n  - target: { kind: Microservice, name: 'user.*|orders' }\n    patch: |-\n      apiVersion: flotilla.dev/v1alpha1\n      kind: Microservice\n      metadata: { name: whatever }\n      spec: { replicas: 7 }\n";
    const objects = build(fixture({ ...base, 'app/kustomization.yaml': kustomization }));
    assert.deepEqual(
      objects.map((o) => (o.spec as { replicas: number }).replicas),
      [7, 7],
    );
    assert.deepEqual(names(objects), ['Microservice/orders', 'Microservice/users']);
  });

  test('a patch that matches no object is refused', () => {
    const root = fixture({ ...base, 'app/patch.yaml': microservice('nobody', '  replicas: 1') });
    assert.throws(
      () => build(root),
      (error: unknown) => error instanceof UnprocessableError && /no single object/.test(error.message),
    );
  });

  test('JSON 6902 patches, directives and lists on built-in kinds are refused', () => {
    const json = fixture({ ...base, 'app/patch.yaml': '- { op: replace, path: /spec/replicas, value: 3 }\n' });
    assert.throws(() => build(json), /JSON 6902/);
    const directive = fixture({ ...base, 'app/patch.yaml': microservice('users', '  $patch: replace') });
    assert.throws(() => build(directive), /directive/);
    const deployment = fixture({
      'app/kustomization.yaml': 'resources: [d.yaml]\npatches:\n  - path: patch.yaml\n',
      'app/d.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: d }\nspec: { replicas: 1 }\n',
      'app/patch.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: d }\nspec:\n  template: { spec: { containers: [{ name: app, image: x }] } }\n',
    });
    assert.throws(() => build(deployment), /built-in kind \(Deployment\)/);
  });
});

describe('configMapGenerator', () => {
  const files = {
    'config/users.yaml': 'http:\n  port: 8081\n',
    'config/extra.txt': 'y\n',
    'app/kustomization.yaml': [
      'namespace: shop',
      'generatorOptions:',
      '  disableNameSuffixHash: true',
      '  labels: { team: core, part: head }',
      'configMapGenerator:',
      '  - name: users-config',
      '    files: [config.yaml=../config/users.yaml, ../config/extra.txt]',
      '    options: { labels: { part: own } }',
      '',
    ].join('\n'),
  };

  test('a file under its key (or its name), the options merged (its own labels win), the namespace set', () => {
    const [configMap] = build(fixture(files));
    assert.deepEqual(configMap, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'users-config', namespace: 'shop', labels: { team: 'core', part: 'own' } },
      data: { 'config.yaml': 'http:\n  port: 8081\n', 'extra.txt': 'y\n' },
    });
  });

  test('a hashed name, a missing file and a file outside the repository are refused', () => {
    const hashed = fixture({ ...files, 'app/kustomization.yaml': 'configMapGenerator:\n  - name: c\n    files: [../config/users.yaml]\n' });
    assert.throws(() => build(hashed), /disableNameSuffixHash: true/);
    const missing = fixture({
      ...files,
      'app/kustomization.yaml':
        'generatorOptions: { disableNameSuffixHash: true }\nconfigMapGenerator:\n  - name: c\n    files: [../config/gone.yaml]\n',
    });
    assert.throws(() => build(missing), NotFoundError);
    const outside = fixture({
      ...files,
      'app/kustomization.yaml':
        'generatorOptions: { disableNameSuffixHash: true }\nconfigMapGenerator:\n  - name: c\n    files: [/etc/hostname]\n',
    });
    assert.throws(() => build(outside), /is outside/);
  });
});

describe('the kustomization itself', () => {
  test('a field render does not carry out is refused by name, as is a remote resource', () => {
    const labels = fixture({ 'app/kustomization.yaml': 'commonLabels: { a: b }\n' });
    assert.throws(
      () => build(labels),
      (error: unknown) =>
        error instanceof UnprocessableError && /commonLabels is not something `flotilla deploy render` does/.test(error.message),
    );
    const remote = fixture({ 'app/kustomization.yaml': 'resources: [https://example.com/x.yaml]\n' });
    assert.throws(() => build(remote), /remote resource/);
  });

  test('folders build recursively; two kustomizations including each other are refused', () => {
    const nested = fixture({
      'app/kustomization.yaml': 'namespace: outer\nresources: [../base]\n',
      'base/kustomization.yaml': 'namespace: inner\nresources: [m.yaml]\n',
      'base/m.yaml': microservice('users', '  replicas: 1'),
    });
    assert.equal((byName(build(nested), 'users').metadata as { namespace: string }).namespace, 'outer');
    const cycle = fixture({ 'app/kustomization.yaml': 'resources: [../other]\n', 'other/kustomization.yaml': 'resources: [../app]\n' });
    assert.throws(() => build(cycle), /include each other/);
  });

  test("objects come out in kustomize's order: Namespace, ServiceAccount, RBAC, ConfigMap, Deployment, then the rest by group", () => {
    const objects = [
      microservice('b', '  replicas: 1'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: d }',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }',
      'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: { name: a }',
      microservice('a', '  replicas: 1'),
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: { name: rb }',
      'apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: sa }',
      'apiVersion: v1\nkind: Namespace\nmetadata: { name: ns }',
    ].join('\n---\n');
    const root = fixture({ 'app/kustomization.yaml': 'resources: [o.yaml]\n', 'app/o.yaml': objects });
    assert.deepEqual(names(build(root)), [
      'Namespace/ns',
      'ServiceAccount/sa',
      'RoleBinding/rb',
      'ConfigMap/c',
      'Deployment/d',
      'Application/a',
      'Microservice/a',
      'Microservice/b',
    ]);
  });
});

describe('environments and printing', () => {
  test("the repository's environments are its overlays; another one is a usage error naming them", () => {
    assert.deepEqual(environments(repoRoot), ['dev', 'prod', 'staging']);
    assert.throws(
      () => overlayOf(repoRoot, 'qa'),
      (error: unknown) => error instanceof UsageError && /choose dev, prod, staging/.test(error.message),
    );
  });

  test('printed YAML keeps strings that YAML 1.1 tools read as booleans quoted, and round-trips', () => {
    const objects = [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'y', b: 'on', c: '0755', d: 'x\n' } }];
    const text = printDocuments(objects);
    assert.match(text, /a: "y"\n {2}b: "on"\n {2}c: "0755"/);
    assert.deepEqual(parse(text), objects[0]);
  });
});
