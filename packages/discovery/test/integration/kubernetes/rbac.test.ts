/**
 * The Roles in deploy/kubernetes/rbac against the harness's real API server,
 * with real ServiceAccount tokens (TokenRequest API), as pods would use them:
 *
 * - an account with no Role gets `forbidden` errors that name the missing
 *   permission, from the config centre and from discovery;
 * - `flotilla-service` reads config and EndpointSlices but cannot write;
 * - `flotilla-config-admin` writes config;
 * - in-cluster credentials (token, ca.crt and namespace files, plus
 *   KUBERNETES_SERVICE_HOST/PORT) work for both backends.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Resources, type KubeClient } from '@flotilla/kube';
import {
  applyRbacManifest,
  clientFor,
  createNamespace,
  deleteNamespace,
  eventually,
  kubeconfigOrSkipReason,
  repoRoot,
  serviceAccountCredentials,
  type ServiceAccountCredentials,
} from '@flotilla/testing';
import { createKubernetesConfigStore, type ConfigChange, type KubernetesConfigStore } from '@flotilla/config';
import { createKubernetesRegistry } from '../../../src/kubernetes/kubernetes-registry.ts';
import { FlotillaError } from '@flotilla/core';
import { kubectl } from '../../../../../scripts/test-services/kube.ts';

const rbacDir = join(repoRoot, 'deploy', 'kubernetes', 'rbac');
const kube = kubeconfigOrSkipReason();

function forbidden(pattern: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof FlotillaError, `a FlotillaError, got ${String(error)}`);
    assert.equal(error.code, 'forbidden');
    assert.match(error.message, pattern);
    return true;
  };
}

describe('RBAC for the kubernetes backends', { skip: 'skip' in kube ? kube.skip : false }, () => {
  const kubeconfig = 'kubeconfig' in kube ? kube.kubeconfig : '';
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-rbac-'));
  let admin: KubeClient;
  let namespace: string;
  let adminStore: KubernetesConfigStore;
  const as: Record<'nobody' | 'service' | 'configAdmin', ServiceAccountCredentials> = {} as never;
  const closers: Array<() => Promise<void>> = [];

  before(async () => {
    admin = clientFor(kubeconfig);
    namespace = await createNamespace(admin, 'flotilla-rbac');
    await applyRbacManifest(admin, join(rbacDir, 'services.yaml'), namespace);
    await applyRbacManifest(admin, join(rbacDir, 'config-admin.yaml'), namespace);
    as.nobody = await serviceAccountCredentials(admin, kubeconfig, namespace, 'nobody', dir);
    as.service = await serviceAccountCredentials(admin, kubeconfig, namespace, 'flotilla-service', dir);
    as.configAdmin = await serviceAccountCredentials(admin, kubeconfig, namespace, 'flotilla-config-admin', dir);
    adminStore = createKubernetesConfigStore({ kubeconfig, namespace });
    await adminStore.set('prod', 'users', 'log:\n  level: info\n', { expectedVersion: 0 });
    await admin.create(Resources.EndpointSlice, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'users-a', namespace, labels: { 'kubernetes.io/service-name': 'users' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'users-1' } }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    } as never);
  });
  after(async () => {
    for (const close of closers.reverse()) await close();
    await adminStore.close();
    await deleteNamespace(admin, namespace);
    await admin.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const storeAs = (who: keyof typeof as): KubernetesConfigStore => {
    const store = createKubernetesConfigStore({ kubeconfig: as[who].kubeconfig, namespace });
    closers.push(() => store.close());
    return store;
  };
  const registryAs = (who: keyof typeof as, logger?: { info(o: object, m: string): void; warn(o: object, m: string): void }) => {
    const registry = createKubernetesRegistry({
      kubeconfig: as[who].kubeconfig,
      namespace,
      ...(logger === undefined ? {} : { logger }),
    });
    closers.push(() => registry.close());
    return registry;
  };

  test('kubectl accepts the kustomization (server dry run)', async () => {
    const { stdout } = await kubectl(kubeconfig, 'apply', '--dry-run=server', '-k', rbacDir);
    assert.match(stdout, /role\.rbac\.authorization\.k8s\.io\/flotilla-service .*\(server dry run\)/);
    assert.match(stdout, /rolebinding\.rbac\.authorization\.k8s\.io\/flotilla-config-admin .*\(server dry run\)/);
  });

  test('without the Role: 403s from both backends become errors naming the missing permission', async () => {
    const store = storeAs('nobody');
    const where = `in the Kubernetes namespace "${namespace}"`;
    await assert.rejects(store.current('prod', 'users'), forbidden(new RegExp(`may not "get" configmaps ${where}`)));
    await assert.rejects(
      store.watch('prod', 'users', () => undefined),
      forbidden(/may not "list" configmaps/),
    );
    await assert.rejects(store.set('prod', 'users', 'a: 1\n', { expectedVersion: 1 }), forbidden(/may not "get" configmaps/));
    await assert.rejects(store.list('prod'), forbidden(/may not "list" configmaps/));

    const warnings: string[] = [];
    const registry = registryAs('nobody', { info: () => undefined, warn: (_o, m) => warnings.push(m) });
    await assert.rejects(registry.list('users'), forbidden(new RegExp(`may not "list" endpointslices\\.discovery\\.k8s\\.io ${where}`)));
    await assert.rejects(registry.services(), forbidden(/endpointslices\.discovery\.k8s\.io/));
    const set = registry.watch('users');
    await eventually(() => warnings.length > 0, { message: 'the watch to report the refusal' });
    assert.match(warnings[0]!, /permission denied: this service account may not "watch" endpointslices\.discovery\.k8s\.io/);
    assert.match(warnings[0]!, /system:serviceaccount:.*:nobody/, 'the API server says who was refused');
    assert.equal(set.status, 'connecting', 'nothing was listed');
    set.close();
  });

  test('flotilla-service reads config and endpoints, follows changes, and may not write', async () => {
    const store = storeAs('service');
    assert.deepEqual(await store.current('prod', 'users'), { text: 'log:\n  level: info\n', version: 1 });
    const seen: ConfigChange[] = [];
    const watch = await store.watch('prod', 'users', (change) => seen.push(change));
    closers.push(() => watch.close());
    await adminStore.set('prod', 'users', 'log:\n  level: debug\n', { expectedVersion: 1 });
    await eventually(() => seen.length > 0, { message: 'the change to reach the service' });
    assert.deepEqual(
      seen.map((c) => c.version),
      [2],
    );
    await assert.rejects(store.set('prod', 'users', 'a: 1\n', { expectedVersion: 2 }), forbidden(/may not "update" configmaps/));
    await assert.rejects(store.set('prod', 'fresh', 'a: 1\n', { expectedVersion: 0 }), forbidden(/may not "create" configmaps/));
    await assert.rejects(store.publishSchema('prod', 'users', { type: 'object' }), forbidden(/may not "create" configmaps/));

    const registry = registryAs('service');
    assert.deepEqual(
      (await registry.list('users')).map((i) => i.id),
      ['users-1'],
    );
    const set = registry.watch('users');
    await set.ready;
    assert.equal(set.status, 'live');
    assert.deepEqual(
      set.snapshot().map((i) => i.id),
      ['users-1'],
    );
    set.close();
  });

  test('flotilla-config-admin writes config, with history', async () => {
    const store = storeAs('configAdmin');
    const head = await store.head('prod', 'users');
    await store.set('prod', 'users', 'log:\n  level: warn\n', { expectedVersion: head, author: 'ci' });
    await store.publishSchema('prod', 'users', { type: 'object' });
    assert.equal((await store.history('prod', 'users')).at(-1)?.author, 'ci');
  });

  test('in-cluster credentials: the service account files and KUBERNETES_SERVICE_HOST/PORT', async () => {
    const { serviceAccountDir, env } = as.service;
    const store = createKubernetesConfigStore({ serviceAccountDir, env });
    closers.push(() => store.close());
    assert.equal(store.kubeNamespace, namespace, 'the namespace comes from the namespace file');
    assert.equal((await store.current('prod', 'users'))?.text.includes('level'), true);
    const registry = createKubernetesRegistry({ serviceAccountDir, env });
    closers.push(() => registry.close());
    assert.equal(registry.namespace, namespace);
    assert.deepEqual(
      (await registry.list('users')).map((i) => i.id),
      ['users-1'],
    );
  });
});
