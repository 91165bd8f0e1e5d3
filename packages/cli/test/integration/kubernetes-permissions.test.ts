/**
 * `flotilla config` and `flotilla registry ls` on the kubernetes backends as a
 * ServiceAccount without the Roles (a real token from the TokenRequest API):
 * exit 6 and a message naming the missing permission. Then as the config
 * admin of deploy/kubernetes/rbac, which may write.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { KubeClient } from '@flotilla/kube';
import {
  applyRbacManifest,
  clientFor,
  createNamespace,
  deleteNamespace,
  kubeconfigOrSkipReason,
  repoRoot,
  runCli,
  serviceAccountCredentials,
} from '@flotilla/testing';

const EXIT = { forbidden: 6 };
const rbacDir = join(repoRoot, 'deploy', 'kubernetes', 'rbac');
const kube = kubeconfigOrSkipReason();

describe('flotilla on the kubernetes backends without permission', { skip: 'skip' in kube ? kube.skip : false }, () => {
  const kubeconfig = 'kubeconfig' in kube ? kube.kubeconfig : '';
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-cli-rbac-'));
  let admin: KubeClient;
  let namespace: string;
  let nobody: string;
  let configAdmin: string;
  before(async () => {
    admin = clientFor(kubeconfig);
    namespace = await createNamespace(admin, 'flotilla-cli-rbac');
    await applyRbacManifest(admin, join(rbacDir, 'config-admin.yaml'), namespace);
    nobody = (await serviceAccountCredentials(admin, kubeconfig, namespace, 'nobody', dir)).kubeconfig;
    configAdmin = (await serviceAccountCredentials(admin, kubeconfig, namespace, 'flotilla-config-admin', dir)).kubeconfig;
  });
  after(async () => {
    await deleteNamespace(admin, namespace);
    await admin.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('config and registry ls exit 6 and name the verb, resource and namespace', async () => {
    const config = await runCli(
      ['config', 'set', '--ns', 'prod', '--service', 'users', '--backend', 'kubernetes', '--kubeconfig', nobody, '--no-schema-check'],
      { input: 'a: 1\n' },
    );
    assert.equal(config.code, EXIT.forbidden, config.stderr);
    assert.match(
      config.stderr,
      new RegExp(`permission denied: this service account may not "get" configmaps in the Kubernetes namespace "${namespace}"`),
    );
    const json = await runCli(['config', 'ls', '--ns', 'prod', '--backend', 'kubernetes', '--kubeconfig', nobody, '--json']);
    assert.equal(json.code, EXIT.forbidden);
    const { error } = JSON.parse(json.stderr) as { error: { code: string; exitCode: number; details: unknown } };
    assert.equal(error.code, 'forbidden');
    assert.deepEqual(error.details, { verb: 'list', resource: 'configmaps', namespace });
    const registry = await runCli(['registry', 'ls', '--backend', 'kubernetes', '--kubeconfig', nobody]);
    assert.equal(registry.code, EXIT.forbidden, registry.stderr);
    assert.match(registry.stderr, /may not "list" endpointslices\.discovery\.k8s\.io/);
  });

  test('the config admin of deploy/kubernetes/rbac may write', async () => {
    const set = await runCli(
      [
        'config',
        'set',
        '--ns',
        'prod',
        '--service',
        'users',
        '--backend',
        'kubernetes',
        '--kubeconfig',
        configAdmin,
        '--no-schema-check',
        '-m',
        'ci',
      ],
      { input: 'a: 1\n' },
    );
    assert.equal(set.code, 0, set.stderr);
    const ls = await runCli(['registry', 'ls', '--backend', 'kubernetes', '--kubeconfig', configAdmin]);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stderr, /no instances registered/);
  });
});
