/** The ConfigStore contract, run against the file backend and a real etcd. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigConflictError, type ConfigChange, type ConfigStore } from '@flotilla/config';
import { NotFoundError } from '@flotilla/kit';
import { eventually, testBackends } from '@flotilla/testing';
import { createTestStore, type TestStore } from './test-stores.ts';

for (const backend of testBackends()) {
  describe(`${backend} config store`, () => {
    let t: TestStore;
    let store: ConfigStore;
    before(async () => {
      t = await createTestStore(backend);
      store = t.store;
    });
    after(() => t.cleanup());

    test('every change is a version with time, author and message; history lists them oldest first', async () => {
      assert.equal(await store.head('dev', 'users'), 0);
      await assert.rejects(store.get('dev', 'users'), NotFoundError);
      const v1 = await store.set('dev', 'users', 'log:\n  level: info\n', {
        expectedVersion: 0,
        author: 'ada',
        message: 'first',
      });
      const v2 = await store.set('dev', 'users', 'log:\n  level: debug\n', {
        expectedVersion: 1,
        author: 'bob',
        message: 'more logs',
      });
      assert.equal(v1.version, 1);
      assert.equal(v2.version, 2);
      const history = await store.history('dev', 'users');
      assert.deepEqual(
        history.map((h) => [h.version, h.author, h.message]),
        [
          [1, 'ada', 'first'],
          [2, 'bob', 'more logs'],
        ],
      );
      assert.ok(history.every((h) => !Number.isNaN(Date.parse(h.time))));
      assert.equal((await store.get('dev', 'users')).text, 'log:\n  level: debug\n');
      assert.equal((await store.get('dev', 'users', 1)).text, 'log:\n  level: info\n');
      await assert.rejects(store.get('dev', 'users', 9), NotFoundError);
    });

    test('the author defaults to $USER@hostname', async () => {
      const v = await store.set('dev', 'author-default', 'a: 1\n', { expectedVersion: 0 });
      assert.match(v.author, /^.+@.+$/);
    });

    test('diff shows a unified text diff and key-path changes', async () => {
      await store.set('dev', 'diffed', 'http:\n  port: 1\nlog:\n  level: info\n', { expectedVersion: 0 });
      await store.set('dev', 'diffed', 'http:\n  port: 1\nlog:\n  level: debug\nextra: true\n', { expectedVersion: 1 });
      const diff = await store.diff('dev', 'diffed', 1, 2);
      assert.match(diff.unified, /^--- dev\/diffed@1\n\+\+\+ dev\/diffed@2\n@@ /);
      assert.match(diff.unified, /^- {2}level: info$/m);
      assert.match(diff.unified, /^\+ {2}level: debug$/m);
      assert.match(diff.unified, /^\+extra: true$/m);
      assert.deepEqual(diff.changes, [
        { path: 'log.level', kind: 'changed', from: 'info', to: 'debug' },
        { path: 'extra', kind: 'added', to: true },
      ]);
      assert.equal((await store.diff('dev', 'diffed', 2, 2)).unified, '');
      assert.match((await store.diff('dev', 'diffed', 0, 1)).unified, /^\+http:$/m);
    });

    test('rollback creates a new version with the old content', async () => {
      await store.set('dev', 'rolled', 'v: 1\n', { expectedVersion: 0 });
      await store.set('dev', 'rolled', 'v: 2\n', { expectedVersion: 1 });
      await store.set('dev', 'rolled', 'v: 3\n', { expectedVersion: 2 });
      const rolled = await store.rollback('dev', 'rolled', 1, { author: 'ops' });
      assert.equal(rolled.version, 4);
      assert.equal(rolled.rollbackOf, 1);
      assert.equal(rolled.text, 'v: 1\n');
      assert.equal((await store.get('dev', 'rolled')).text, 'v: 1\n');
      assert.deepEqual(
        (await store.history('dev', 'rolled')).map((h) => h.version),
        [1, 2, 3, 4],
      );
      await assert.rejects(store.rollback('dev', 'rolled', 2, { expectedVersion: 3 }), ConfigConflictError);
    });

    test('compare-and-set: of two writers that read the same version, exactly one wins', async () => {
      await store.set('dev', 'raced', 'n: 0\n', { expectedVersion: 0 });
      const other = await t.another();
      const results = await Promise.allSettled([
        store.set('dev', 'raced', 'n: a\n', { expectedVersion: 1, author: 'a' }),
        other.set('dev', 'raced', 'n: b\n', { expectedVersion: 1, author: 'b' }),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      assert.ok(lost[0]!.reason instanceof ConfigConflictError);
      assert.equal((lost[0]!.reason as ConfigConflictError).actualVersion, 2);
      const head = await store.get('dev', 'raced');
      assert.equal(head.version, 2);
      assert.equal(head.text, won[0]!.status === 'fulfilled' && (won[0] as PromiseFulfilledResult<{ text: string }>).value.text);
      await assert.rejects(store.set('dev', 'raced', 'n: late\n', { expectedVersion: 1 }), ConfigConflictError);
      assert.equal((await store.history('dev', 'raced')).length, 2, 'the refused write left no version');
    });

    test('a document that is not valid YAML is refused and nothing is stored', async () => {
      await assert.rejects(store.set('dev', 'broken', 'a: [1, 2\n', { expectedVersion: 0 }), /Invalid configuration/);
      await assert.rejects(store.set('dev', 'broken', '- a list\n', { expectedVersion: 0 }), /must be a YAML mapping/);
      assert.equal(await store.head('dev', 'broken'), 0);
    });

    test('${VAR} references are stored as written, never resolved', async () => {
      process.env.FLOTILLA_TEST_CENTRE_SECRET = 's3cr3t-value';
      try {
        const text = 'database:\n  dsn: postgres://app:${FLOTILLA_TEST_CENTRE_SECRET}@db/app\n';
        await store.set('dev', 'secretive', text, { expectedVersion: 0 });
        for (const read of [await store.get('dev', 'secretive'), await store.get('dev', 'secretive', 1)]) {
          assert.equal(read.text, text);
          assert.ok(!JSON.stringify(read).includes('s3cr3t-value'));
        }
        assert.equal((await store.current('dev', 'secretive'))?.text, text);
      } finally {
        delete process.env.FLOTILLA_TEST_CENTRE_SECRET;
      }
    });

    test('namespaces never leak: a change in staging reaches neither a dev reader nor a dev watcher', async () => {
      await store.set('dev', 'orders', 'who: dev\n', { expectedVersion: 0 });
      const devChanges: ConfigChange[] = [];
      const stagingChanges: ConfigChange[] = [];
      const devWatch = await store.watch('dev', 'orders', (c) => devChanges.push(c));
      const stagingWatch = await store.watch('staging', 'orders', (c) => stagingChanges.push(c));
      try {
        await store.set('staging', 'orders', 'who: staging\n', { expectedVersion: 0 });
        await eventually(() => stagingChanges.length > 0, { timeoutMs: 5_000, message: 'the staging watcher' });
        // Then a dev change: once the dev watcher sees it, it would have seen the earlier staging one too.
        await store.set('dev', 'orders', 'who: dev again\n', { expectedVersion: 1 });
        await eventually(() => devChanges.length > 0, { timeoutMs: 5_000, message: 'the dev watcher' });
        assert.deepEqual(
          devChanges.map((c) => [c.namespace, c.text]),
          [['dev', 'who: dev again\n']],
        );
        assert.deepEqual(
          stagingChanges.map((c) => [c.namespace, c.version, c.text]),
          [['staging', 1, 'who: staging\n']],
        );
        assert.equal((await store.get('dev', 'orders')).text, 'who: dev again\n');
        assert.equal((await store.get('staging', 'orders')).text, 'who: staging\n');
        assert.deepEqual(await store.list('staging'), ['orders']);
        assert.ok(!(await store.list('dev')).includes('staging'));
      } finally {
        await devWatch.close();
        await stagingWatch.close();
      }
    });

    test('a watcher of one service does not see another service of the same namespace', async () => {
      const seen: ConfigChange[] = [];
      const watch = await store.watch('dev', 'watched', (c) => seen.push(c));
      try {
        await store.set('dev', 'watched-not', 'x: 1\n', { expectedVersion: 0 });
        await store.set('dev', 'watched', 'x: 2\n', { expectedVersion: 0 });
        await eventually(() => seen.length > 0, { timeoutMs: 5_000, message: 'the watcher' });
        assert.deepEqual(
          seen.map((c) => [c.service, c.version, c.text]),
          [['watched', 1, 'x: 2\n']],
        );
      } finally {
        await watch.close();
      }
    });

    test('a published schema is stored per namespace and service', async () => {
      assert.equal(await store.schema('dev', 'schemed'), undefined);
      await store.publishSchema('dev', 'schemed', { type: 'object', '~kind': 'Object' });
      assert.deepEqual(await store.schema('dev', 'schemed'), { type: 'object', '~kind': 'Object' });
      assert.equal(await store.schema('prod', 'schemed'), undefined);
    });

    test('names that could escape a namespace are refused', async () => {
      await assert.rejects(store.set('dev/../prod', 'users', 'a: 1\n', { expectedVersion: 0 }), /namespace/);
      await assert.rejects(store.get('dev', '../users'), /service/);
    });
  });
}
