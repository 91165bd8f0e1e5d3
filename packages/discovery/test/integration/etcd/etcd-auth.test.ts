/**
 * Discovery against an etcd with authentication on (a private etcd, so the
 * shared one stays open): with the configured user it registers, lists and
 * watches; a wrong password, no credentials and a user without a role each
 * fail at once with an error that says what is wrong and never shows the
 * password.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { after, before, describe, test } from 'node:test';
import Value from 'typebox/value';
import { eventually, sharedEtcd, tempDir } from '@flotilla/testing';
import { startEtcd, type RunningEtcd } from '../../../../../scripts/test-services/index.ts';
import { createRegistry, DiscoveryConfig, type DiscoverySettings } from '../../../src/create-registry.ts';
import { EtcdAccessError } from '../../../src/etcd/access-error.ts';
import { EtcdRegistry } from '../../../src/etcd/etcd-registry.ts';
import { startRegistration } from '../../../src/start-registration.ts';
import type { Registry } from '../../../src/types.ts';
import { EtcdAdmin } from './etcd-admin.ts';

const etcdAvailable = sharedEtcd(); // the private etcd needs the same binary the harness provides
const rootPassword = `root-${randomBytes(8).toString('hex')}`;
const spec = (service: string, id: string) => ({ service, id, address: '127.0.0.1', ports: { http: 1 } });

/** An access error that names the user and says what is wrong, with no trace of `secret` anywhere in it. */
function refusal(pattern: RegExp, secret: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof EtcdAccessError, `an EtcdAccessError, got ${inspect(error)}`);
    assert.match(error.message, pattern);
    assert.ok(!inspect(error, { depth: 10 }).includes(secret), 'the password appears in the error');
    return true;
  };
}

describe('etcd registry with authentication on', { skip: 'skip' in etcdAvailable ? etcdAvailable.skip : false, timeout: 120_000 }, () => {
  let dir: { path: string; remove(): void } | undefined;
  let etcd: RunningEtcd | undefined;
  const registries: Registry[] = [];
  const settings = (etcdSettings: Partial<DiscoverySettings['etcd']>): DiscoverySettings => {
    const defaults = Value.Default(DiscoveryConfig, {}) as DiscoverySettings;
    const merged = {
      ...defaults,
      backend: 'etcd' as const,
      etcd: { ...defaults.etcd, endpoints: etcd!.endpoint, ttlSeconds: 3, ...etcdSettings },
    };
    assert.ok(Value.Check(DiscoveryConfig, merged), 'valid discovery settings');
    return merged;
  };
  const registry = (etcdSettings: Partial<DiscoverySettings['etcd']>): Registry => {
    const made = createRegistry(settings(etcdSettings), { namespace: 'test' });
    registries.push(made);
    return made;
  };

  before(async () => {
    dir = tempDir('etcd-auth');
    etcd = await startEtcd({ dir: dir.path, log: () => undefined });
    const admin = new EtcdAdmin(etcd.endpoint);
    try {
      await admin.enableAuth(rootPassword);
    } finally {
      admin.close();
    }
  });
  after(async () => {
    await Promise.all(registries.map((r) => r.close().catch(() => undefined)));
    await etcd?.stop();
    dir?.remove();
  });

  test('with the configured user: registers, lists, watches and deregisters', async () => {
    const server = registry({ username: 'root', password: rootPassword });
    const client = registry({ username: 'root', password: rootPassword });
    const set = client.watch('users');
    await set.ready;
    const registration = await server.register(spec('users', 'users-1'));
    await eventually(() => set.snapshot().length === 1, { message: 'the watch to see users-1' });
    assert.deepEqual(set.snapshot()[0], registration.instance);
    assert.deepEqual(await client.list('users'), [registration.instance]);
    assert.deepEqual(await client.services(), ['users']);
    await registration.update({ weight: 7 });
    await eventually(() => set.snapshot()[0]?.weight === 7, { message: 'the update' });
    await server.deregister();
    await eventually(() => set.snapshot().length === 0, { message: 'the watch to see the removal' });
    set.close();
  });

  test('a wrong password: register, the service start and list fail at once with a clear error', async () => {
    const wrong = `wrong-${randomBytes(8).toString('hex')}`;
    const rejected = refusal(/authentication failed for user "root": wrong user name or password/, wrong);
    await assert.rejects(registry({ username: 'root', password: wrong }).register(spec('users', 'users-2')), rejected);
    await assert.rejects(registry({ username: 'root', password: wrong }).list('users'), rejected);
    await assert.rejects(
      startRegistration({ registry: registry({ username: 'root', password: wrong }), instance: spec('users', 'users-3'), waitMs: 60_000 }),
      rejected,
    );
  });

  test('no credentials: the error says that etcd asks for them', async () => {
    await assert.rejects(
      registry({}).register(spec('users', 'users-4')),
      refusal(/a client without credentials was refused: authentication is on, so a user name and password are needed/, rootPassword),
    );
  });

  test('a user without a role: permission denied, named', async () => {
    const admin = new EtcdAdmin(etcd!.endpoint, { auth: { username: 'root', password: rootPassword } });
    const nobodyPassword = `nobody-${randomBytes(8).toString('hex')}`;
    try {
      await admin.client.user('nobody').create(nobodyPassword);
    } finally {
      admin.close();
    }
    const nobody = new EtcdRegistry({
      endpoints: [etcd!.endpoint],
      namespace: 'test',
      ttlSeconds: 3,
      auth: { username: 'nobody', password: nobodyPassword },
    });
    registries.push(nobody);
    await assert.rejects(nobody.register(spec('users', 'users-5')), refusal(/permission denied for user "nobody"/, nobodyPassword));
  });
});
