/**
 * The config each overlay ships is config/<env>/ itself: one ConfigMap per file, the file's
 * text unchanged, named and labelled as the config centre's kubernetes backend keeps its
 * documents. Applied to a real API server, the centre's store reads them back as the
 * documents of that environment, which is what the services in the Pods load.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createKubernetesConfigStore } from '@flotilla/config';
import type { KubeClient } from '@flotilla/kube';
import { clientFor, configDir, createNamespace, deleteNamespace, kubeconfigOrSkip } from '@flotilla/testing';
import { stringify } from 'yaml';
import {
  type Environment,
  ENVIRONMENTS,
  type KubeObject,
  kubectlWithFile,
  kustomizeBuild,
  objectsOf,
  overlayDir,
} from './support/delivery.ts';

/** The documents of an environment: the files of config/<env>/ without `.yaml`. */
function documentsOf(env: Environment): string[] {
  return readdirSync(join(configDir, env))
    .filter((name) => name.endsWith('.yaml'))
    .map((name) => name.slice(0, -'.yaml'.length))
    .sort();
}

function configFile(env: Environment, document: string): string {
  return readFileSync(join(configDir, env, `${document}.yaml`), 'utf8');
}

async function configMapsOf(env: Environment): Promise<KubeObject[]> {
  return objectsOf(await kustomizeBuild(overlayDir(env))).filter((o) => o.kind === 'ConfigMap');
}

describe('the ConfigMaps of each overlay are config/<env>/', () => {
  for (const env of ENVIRONMENTS) {
    test(`overlays/${env}: one head document per file of config/${env}/, its text unchanged`, async () => {
      const configMaps = await configMapsOf(env);
      const documents = documentsOf(env);
      assert.deepEqual(configMaps.map((c) => c.metadata.name).sort(), documents.map((d) => `flotilla-config.${env}.${d}`).sort());
      for (const document of documents) {
        const configMap = configMaps.find((c) => c.metadata.name === `flotilla-config.${env}.${document}`) as KubeObject;
        assert.deepEqual(configMap.data, { 'config.yaml': configFile(env, document) }, document);
        assert.deepEqual(configMap.metadata.labels, {
          'app.kubernetes.io/managed-by': 'flotilla',
          'config.flotilla.dev/namespace': env,
          'config.flotilla.dev/document': document,
          'config.flotilla.dev/part': 'head',
        });
      }
    });
  }
});

describe("the config centre reads the overlays' ConfigMaps from a real API server", () => {
  let client: KubeClient | undefined;
  let namespace = '';
  after(async () => {
    if (client && namespace) await deleteNamespace(client, namespace);
    await client?.close();
  });

  test('every environment lists and reads as config/<env>/ (recorded as edited outside flotilla)', async (t) => {
    const kubeconfig = kubeconfigOrSkip(t);
    if (!kubeconfig) return;
    client = clientFor(kubeconfig);
    namespace = await createNamespace(client, 'delivery-config');
    // All three environments in one Kubernetes namespace: the centre keeps them apart by name and label.
    const configMaps = (await Promise.all(ENVIRONMENTS.map(configMapsOf))).flat();
    for (const configMap of configMaps) configMap.metadata.namespace = namespace;
    const stream = configMaps.map((c) => stringify(c)).join('---\n');
    await kubectlWithFile(kubeconfig, stream, 'apply', '--server-side', '--field-manager=flotilla-delivery-test', '-f', '{}');

    const store = createKubernetesConfigStore({ kubeconfig, namespace });
    try {
      for (const env of ENVIRONMENTS) {
        assert.deepEqual(await store.list(env), documentsOf(env));
        for (const document of documentsOf(env)) {
          const read = await store.get(env, document);
          assert.equal(read.text, configFile(env, document), `${env}/${document}`);
          assert.equal(read.version, 1);
          assert.equal(read.author, '(edited outside flotilla)');
        }
      }
    } finally {
      await store.close();
    }
  });
});
