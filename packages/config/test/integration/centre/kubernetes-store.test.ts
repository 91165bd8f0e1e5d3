/**
 * What only the kubernetes backend has, against the harness's real API
 * server: the ConfigMap layout, edits made with kubectl, the bounded history,
 * a lost history append, the size cap, and the in-cluster credentials.
 * (The shared contract runs in store.test.ts and reload.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Resources, type KubeClient } from '@flotilla/kube';
import { ConfigConflictError, type KubernetesConfigStore, createKubernetesConfigStore, type ConfigChange } from '@flotilla/config';
import { NotFoundError, ValidationError } from '@flotilla/kit';
import { clientFor, createNamespace, deleteNamespace, eventually, kubeconfigOrSkipReason } from '@flotilla/testing';

type ConfigMap = {
  metadata: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
  };
  data?: Record<string, string>;
};

const kube = kubeconfigOrSkipReason();

describe('kubernetes config store: ConfigMaps', { skip: 'skip' in kube ? kube.skip : false }, () => {
  const kubeconfig = 'kubeconfig' in kube ? kube.kubeconfig : '';
  let admin: KubeClient;
  let namespace: string;
  let store: KubernetesConfigStore;
  before(async () => {
    admin = clientFor(kubeconfig);
    namespace = await createNamespace(admin, 'flotilla-centre-k8s');
    store = createKubernetesConfigStore({ kubeconfig, namespace });
  });
  after(async () => {
    await store.close();
    await deleteNamespace(admin, namespace);
    await admin.close();
  });

  const read = (name: string): Promise<ConfigMap> => admin.get<ConfigMap>(Resources.ConfigMap, namespace, name);

  test('one head ConfigMap per document holds the text as written; versions go to its history ConfigMap', async () => {
    await store.set('dev', 'users', 'log:\n  level: info # as written\n', {
      expectedVersion: 0,
      author: 'ada',
      message: 'first',
    });
    await store.set('dev', 'users', 'log:\n  level: debug\n', { expectedVersion: 1, author: 'bob', message: 'more' });
    const head = await read('flotilla-config.dev.users');
    assert.equal(head.data?.['config.yaml'], 'log:\n  level: debug\n');
    assert.deepEqual(head.metadata.labels, {
      'app.kubernetes.io/managed-by': 'flotilla',
      'config.flotilla.dev/namespace': 'dev',
      'config.flotilla.dev/document': 'users',
      'config.flotilla.dev/part': 'head',
    });
    assert.equal(head.metadata.annotations?.['config.flotilla.dev/version'], '2');
    assert.equal(head.metadata.annotations?.['config.flotilla.dev/author'], 'bob');
    const history = await read('flotilla-config.dev.users.history');
    assert.deepEqual(Object.keys(history.data ?? {}).sort(), ['0000000001.json', '0000000002.json']);
    assert.equal(JSON.parse(history.data!['0000000001.json']!).text, 'log:\n  level: info # as written\n');
    await store.publishSchema('dev', 'users', { type: 'object' });
    assert.deepEqual(JSON.parse((await read('flotilla-config.dev.users.schema')).data!['schema.json']!), {
      type: 'object',
    });
    assert.deepEqual(await store.list('dev'), ['users']);
  });

  test('a kubectl edit of the head is the next version: current() says so, a stale write is refused, the next write records it', async () => {
    await store.set('dev', 'edited', 'a: 1\n', { expectedVersion: 0 });
    const seen: ConfigChange[] = [];
    const watch = await store.watch('dev', 'edited', (change) => seen.push(change));
    try {
      const head = await read('flotilla-config.dev.edited');
      await admin.replace(Resources.ConfigMap, { ...head, data: { 'config.yaml': 'a: 2 # by hand\n' } });
      await eventually(() => seen.length > 0, { timeoutMs: 5_000, message: 'the watcher' });
      assert.deepEqual(
        seen.map((c) => [c.version, c.text]),
        [[undefined, 'a: 2 # by hand\n']],
        'an outside edit has no version yet',
      );
      assert.deepEqual(await store.current('dev', 'edited'), { text: 'a: 2 # by hand\n', version: undefined });
      assert.equal(await store.head('dev', 'edited'), 2);
      assert.equal((await store.get('dev', 'edited')).author, '(edited outside flotilla)');
      await assert.rejects(store.set('dev', 'edited', 'a: 3\n', { expectedVersion: 1 }), ConfigConflictError);
      await store.set('dev', 'edited', 'a: 3\n', { expectedVersion: 2, author: 'ops' });
      const history = await store.history('dev', 'edited');
      assert.deepEqual(
        history.map((h) => [h.version, h.author]),
        [
          [1, history[0]!.author],
          [2, '(edited outside flotilla)'],
          [3, 'ops'],
        ],
      );
      assert.equal((await store.get('dev', 'edited', 2)).text, 'a: 2 # by hand\n');
    } finally {
      await watch.close();
    }
  });

  test('a ConfigMap created by hand is version 1 of its document', async () => {
    await admin.create(Resources.ConfigMap, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'flotilla-config.dev.handmade',
        namespace,
        labels: {
          'config.flotilla.dev/namespace': 'dev',
          'config.flotilla.dev/document': 'handmade',
          'config.flotilla.dev/part': 'head',
        },
      },
      data: { 'config.yaml': 'x: 1\n' },
    } as ConfigMap & { apiVersion: string; kind: string });
    assert.equal(await store.head('dev', 'handmade'), 1);
    assert.match((await store.get('dev', 'handmade')).message, /recorded the existing ConfigMap flotilla-config\.dev\.handmade/);
    assert.ok((await store.list('dev')).includes('handmade'));
    await store.set('dev', 'handmade', 'x: 2\n', { expectedVersion: 1 });
    assert.deepEqual(
      (await store.history('dev', 'handmade')).map((h) => h.version),
      [1, 2],
    );
  });

  test('the history is bounded by count and bytes; trimmed versions are gone, numbers are not reused', async () => {
    const small = createKubernetesConfigStore({ kubeconfig, namespace, maxVersions: 3 });
    try {
      for (let v = 1; v <= 5; v++) await small.set('dev', 'bounded', `v: ${v}\n`, { expectedVersion: v - 1 });
      assert.deepEqual(
        (await small.history('dev', 'bounded')).map((h) => h.version),
        [3, 4, 5],
      );
      await assert.rejects(small.get('dev', 'bounded', 2), NotFoundError);
      assert.equal((await small.rollback('dev', 'bounded', 3)).version, 6);
    } finally {
      await small.close();
    }
    const bytes = createKubernetesConfigStore({ kubeconfig, namespace, maxBytes: 3_000 });
    try {
      const big = `blob: "${'x'.repeat(1_000)}"\n`;
      for (let v = 1; v <= 4; v++) await bytes.set('dev', 'heavy', `${big}v: ${v}\n`, { expectedVersion: v - 1 });
      const kept = (await bytes.history('dev', 'heavy')).map((h) => h.version);
      assert.ok(kept.length >= 1 && kept.length < 4 && kept.at(-1) === 4, `kept ${kept.join(',')}`);
    } finally {
      await bytes.close();
    }
  });

  test('a lost history append is recorded by the next write (the head is the truth)', async () => {
    await store.set('dev', 'healed', 'n: 1\n', { expectedVersion: 0 });
    await store.set('dev', 'healed', 'n: 2\n', { expectedVersion: 1 });
    await admin.delete(Resources.ConfigMap, namespace, 'flotilla-config.dev.healed.history'); // as if the append had crashed
    assert.deepEqual(
      (await store.history('dev', 'healed')).map((h) => h.version),
      [2],
    );
    assert.equal((await store.get('dev', 'healed', 2)).text, 'n: 2\n');
    await store.set('dev', 'healed', 'n: 3\n', { expectedVersion: 2 });
    assert.deepEqual(
      (await store.history('dev', 'healed')).map((h) => h.version),
      [2, 3],
    );
  });

  test('documents over 256 KiB are refused; names Kubernetes cannot hold are refused', async () => {
    await assert.rejects(store.set('dev', 'huge', `blob: "${'x'.repeat(300 * 1024)}"\n`, { expectedVersion: 0 }), ValidationError);
    await assert.rejects(store.set('dev', 'trailing-', 'a: 1\n', { expectedVersion: 0 }), /must not end with "-"/);
    assert.equal(await store.head('dev', 'huge'), 0);
  });
});
