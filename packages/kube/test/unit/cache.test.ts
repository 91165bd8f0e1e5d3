import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IndexedCache, NAMESPACE_INDEX, OWNER_INDEX, ownerIndexValue, type KubeObject } from '@flotilla/kube';

const obj = (namespace: string, name: string, owner?: string, team?: string): KubeObject => ({
  metadata: {
    namespace,
    name,
    resourceVersion: '1',
    labels: team ? { team } : {},
    ownerReferences: owner
      ? [
          {
            apiVersion: 'flotilla.dev/v1alpha1',
            kind: 'Microservice',
            name: owner,
            uid: `uid-${owner}`,
            controller: true,
          },
        ]
      : undefined,
  },
});

test('indexes follow inserts, replacements and removals', () => {
  const cache = new IndexedCache<KubeObject>({
    team: (o) => (o.metadata.labels?.team ? [o.metadata.labels.team] : []),
  });
  cache.upsert(obj('a', 'one', 'web', 'red'));
  cache.upsert(obj('a', 'two', 'web', 'blue'));
  cache.upsert(obj('b', 'three', undefined, 'red'));
  assert.deepEqual(
    cache
      .byIndex(NAMESPACE_INDEX, 'a')
      .map((o) => o.metadata.name)
      .sort(),
    ['one', 'two'],
  );
  assert.deepEqual(cache.byIndex(OWNER_INDEX, ownerIndexValue('Microservice', 'a', 'web')).length, 2);
  assert.deepEqual(
    cache
      .byIndex('team', 'red')
      .map((o) => o.metadata.name)
      .sort(),
    ['one', 'three'],
  );

  cache.upsert(obj('a', 'one', 'api', 'blue')); // relabelled and re-owned
  assert.deepEqual(
    cache.byIndex('team', 'red').map((o) => o.metadata.name),
    ['three'],
  );
  assert.equal(cache.byIndex(OWNER_INDEX, ownerIndexValue('Microservice', 'a', 'web')).length, 1);
  assert.equal(cache.byIndex(OWNER_INDEX, ownerIndexValue('Microservice', 'a', 'api')).length, 1);

  assert.equal(cache.remove('a/two')?.metadata.name, 'two');
  assert.equal(cache.get('a/two'), undefined);
  assert.deepEqual(
    cache.byIndex('team', 'blue').map((o) => o.metadata.name),
    ['one'],
  );
  assert.equal(cache.size, 2);
  assert.throws(() => cache.byIndex('nope', 'x'));
});
