/**
 * The etcd registry against the harness's etcd: key layout, register once,
 * deregister, kill -9, lease revoked by someone else, and watches that resume
 * from their revision after a dropped connection (through a TCP proxy).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually, sharedEtcd, startServiceProcess } from '@flotilla/testing';
import { EtcdRegistry } from '../../../src/etcd/etcd-registry.ts';
import type { InstanceChange } from '../../../src/types.ts';
import { EtcdAdmin } from './etcd-admin.ts';
import { hostPort, TcpProxy } from './tcp-proxy.ts';

const etcd = sharedEtcd();
const child = join(import.meta.dirname, '..', 'fixtures', 'register-child.ts');

describe('etcd registry', { skip: 'skip' in etcd ? etcd.skip : false }, () => {
  const endpoint = 'endpoint' in etcd ? etcd.endpoint : '';
  // Each run under its own prefix, so runs and suites never see each other's keys.
  const prefix = `/flotilla-test-${randomBytes(4).toString('hex')}`;
  let admin: EtcdAdmin;
  const registries: EtcdRegistry[] = [];
  const registry = (options: { ttlSeconds?: number; endpoint?: string } = {}): EtcdRegistry => {
    const made = new EtcdRegistry({
      endpoints: [options.endpoint ?? endpoint],
      prefix,
      namespace: 'test',
      ttlSeconds: options.ttlSeconds ?? 3,
    });
    registries.push(made);
    return made;
  };

  before(() => {
    admin = new EtcdAdmin(endpoint);
  });
  after(async () => {
    await Promise.all(registries.map((r) => r.close()));
    await admin.delete(`${prefix}/`, { prefix: true });
    admin.close();
  });

  test('registers under the documented key with a lease, lists, watches and deregisters', async () => {
    const server = registry();
    const client = registry();
    const set = client.watch('users');
    await set.ready;
    const registration = await server.register({
      service: 'users',
      id: 'users-1',
      address: '127.0.0.1',
      ports: { http: 8081, grpc: 9081 },
      region: 'eu',
      zone: 'eu-1',
    });

    const { kvs } = await admin.range(`${prefix}/test/services/users/users-1`);
    assert.equal(kvs.length, 1);
    assert.deepEqual(JSON.parse(kvs[0]!.value.toString()), registration.instance);
    assert.equal(kvs[0]!.lease, server.leaseId);
    const ttl = await admin.leaseTimeToLive(server.leaseId!);
    assert.ok(ttl > 0 && ttl <= 3, `lease ttl ${ttl}`);

    assert.deepEqual(await client.list('users'), [registration.instance]);
    assert.deepEqual(await client.services(), ['users']);
    await eventually(() => set.snapshot().length === 1, { message: 'the watch to see users-1' });
    assert.deepEqual(set.snapshot()[0], registration.instance);

    await registration.update({ weight: 10 });
    await eventually(() => set.snapshot()[0]?.weight === 10, { message: 'the update' });

    const lease = server.leaseId!;
    await server.deregister();
    await eventually(() => set.snapshot().length === 0, { message: 'the watch to see the removal' });
    assert.equal(await admin.leaseTimeToLive(lease), -1, 'deregister revokes the lease');
    assert.deepEqual(await client.list('users'), []);
    set.close();
  });

  test('registering twice is one entry and one lease', async () => {
    const server = registry();
    const [first, second] = await Promise.all([
      server.register({ service: 'twice', address: '127.0.0.1', ports: { http: 1 } }),
      server.register({ service: 'twice', address: '127.0.0.1', ports: { http: 2 } }),
    ]);
    assert.equal(second, first);
    assert.equal(await server.register({ service: 'twice', address: '127.0.0.1', ports: { http: 3 } }), first);
    const { kvs } = await admin.range(`${prefix}/test/services/twice/`, { prefix: true });
    assert.equal(kvs.length, 1);
    assert.equal(JSON.parse(kvs[0]!.value.toString()).ports.http, 1);
    await server.deregister();
  });

  test("a kill -9'd process disappears within its lease TTL", async (t) => {
    const watcher = registry();
    const set = watcher.watch('victim');
    const victim = await startServiceProcess(child, 'victim-1', {
      env: {
        ...process.env,
        BACKEND: 'etcd',
        ETCD_ENDPOINTS: endpoint,
        PREFIX: prefix,
        TTL_SECONDS: '2',
        SERVICE: 'victim',
        INSTANCE_ID: 'victim-1',
      },
    });
    t.after(() => victim.kill9());
    await eventually(() => set.snapshot().length === 1, { message: 'victim-1 to be listed' });
    await victim.kill9();
    const killedAt = Date.now();
    await eventually(() => set.snapshot().length === 0, { timeoutMs: 8000, message: 'victim-1 to disappear' });
    t.diagnostic(`gone ${Date.now() - killedAt} ms after kill -9 (lease ttl 2 s)`);
    set.close();
  });

  test('a lease revoked by someone else is replaced and the instance registered again', async (t) => {
    const events: string[] = [];
    const server = new EtcdRegistry({
      endpoints: [endpoint],
      prefix,
      namespace: 'test',
      ttlSeconds: 3,
      onEvent: (e) => events.push(e.type),
    });
    registries.push(server);
    const set = registry().watch('revoked');
    const changes: InstanceChange[] = [];
    set.subscribe((c) => changes.push(c));
    await server.register({ service: 'revoked', id: 'revoked-1', address: '127.0.0.1', ports: { http: 1 } });
    const firstLease = server.leaseId!;
    await eventually(() => set.snapshot().length === 1, { message: 'revoked-1 listed' });

    const revokedAt = Date.now();
    await admin.leaseRevoke(firstLease); // deletes the key at once
    await eventually(() => server.leaseId !== undefined && server.leaseId !== firstLease, { message: 'a new lease' });
    const { kvs } = await eventually(
      async () => {
        const found = await admin.range(`${prefix}/test/services/revoked/revoked-1`);
        return found.kvs.length === 1 ? found : undefined;
      },
      { message: 'the key to be back' },
    );
    assert.equal(kvs[0]!.lease, server.leaseId);
    await eventually(() => set.snapshot().length === 1, { message: 'watchers to see it again' });
    // The registry hears etcd's answer to its put on a connection of its own: its event is waited for, not assumed.
    await eventually(() => events.filter((e) => e === 'registered').length >= 2, {
      message: 'the registry to report the new registration',
    });
    t.diagnostic(`re-registered ${Date.now() - revokedAt} ms after the revoke (ttl 3 s, keepalive every 1 s)`);
    assert.ok(
      changes.some((c) => c.removed.length === 1),
      'the revoke was visible as a removal',
    );
    assert.deepEqual(
      events.filter((e) => e !== 'unreachable'),
      ['registered', 'lease-lost', 'registered'],
    );
    set.close();
  });

  test('a watch that loses its connection resumes from its revision: nothing missed, nothing twice', async () => {
    const proxy = new TcpProxy(hostPort(endpoint));
    const proxied = await proxy.start();
    try {
      const watcher = registry({ endpoint: proxied });
      const set = watcher.watch('resume');
      const seen: string[] = [];
      set.subscribe((c) => {
        for (const i of c.added) seen.push(`+${i.id}`);
        for (const i of c.updated) seen.push(`~${i.id}:${i.weight}`);
        for (const i of c.removed) seen.push(`-${i.id}`);
      });
      await set.ready;
      const key = (id: string): string => `${prefix}/test/services/resume/${id}`;
      const value = (id: string, weight: number): string =>
        JSON.stringify({
          id,
          service: 'resume',
          address: '127.0.0.1',
          ports: { http: 1 },
          version: '1',
          region: 'local',
          zone: 'local',
          weight,
          health: 'serving',
          metadata: {},
        });
      await admin.put(key('a'), value('a', 100));
      await admin.put(key('b'), value('b', 100));
      await eventually(() => set.snapshot().length === 2, { message: 'a and b' });

      proxy.cut();
      await eventually(() => set.status === 'stale', { message: 'the watch to notice' });
      await admin.put(key('c'), value('c', 100));
      await admin.put(key('a'), value('a', 50));
      await admin.delete(key('b'));
      await admin.put(key('a'), value('a', 60));
      assert.deepEqual(
        set.snapshot().map((i) => i.id),
        ['a', 'b'],
        'the last known set is kept while cut off',
      );
      proxy.restore();

      await eventually(
        () =>
          set.status === 'live' &&
          set
            .snapshot()
            .map((i) => `${i.id}:${i.weight}`)
            .join() === 'a:60,c:100',
        { message: 'the watch to catch up' },
      );
      await admin.put(key('d'), value('d', 100));
      await eventually(() => set.snapshot().length === 3, { message: 'd' });
      // Every change exactly once, in revision order (the a:50 update came in the same catch-up batch as a:60).
      assert.deepEqual(seen, ['+a', '+b', '+c', '~a:50', '-b', '~a:60', '+d']);
      set.close();
    } finally {
      await proxy.close();
    }
  });

  test('a watch whose revision was compacted away lists again and converges', async () => {
    const proxy = new TcpProxy(hostPort(endpoint));
    const proxied = await proxy.start();
    try {
      const watcher = registry({ endpoint: proxied });
      const writer = registry();
      const set = watcher.watch('compacted');
      await set.ready;
      await writer.register({ service: 'compacted', id: 'keep', address: '127.0.0.1', ports: { http: 1 } });
      await eventually(() => set.snapshot().length === 1, { message: 'keep' });
      proxy.cut();
      await eventually(() => set.status === 'stale', { message: 'the watch to notice' });
      const key = `${prefix}/test/services/compacted/extra`;
      await admin.put(
        key,
        JSON.stringify({
          id: 'extra',
          service: 'compacted',
          address: '127.0.0.1',
          ports: { http: 2 },
          version: '1',
          region: 'local',
          zone: 'local',
          weight: 100,
          health: 'serving',
          metadata: {},
        }),
      );
      const { revision } = await admin.put(`${prefix}/unrelated`, 'x');
      await admin.compact(revision);
      proxy.restore();
      await eventually(
        () =>
          set.status === 'live' &&
          set
            .snapshot()
            .map((i) => i.id)
            .join() === 'extra,keep',
        { message: 'the relisted set' },
      );
      set.close();
    } finally {
      await proxy.close();
    }
  });
});
