/**
 * The local (file) registry in this process: register once, list, watch,
 * heartbeats, deregister, invalid specs, stale and foreign files, namespaces.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { eventually, tempDir } from '@flotilla/testing';
import { LocalRegistry } from '../../../src/local/local-registry.ts';
import type { InstanceChange } from '../../../src/types.ts';

const dirs: Array<{ remove(): void }> = [];
after(() => {
  for (const d of dirs) d.remove();
});

function registryDir(): string {
  const dir = tempDir('local-registry');
  dirs.push(dir);
  return dir.path;
}

describe('local registry', () => {
  test('register, list, watch and deregister', async () => {
    const dir = registryDir();
    const server = new LocalRegistry({ dir, namespace: 'test', ttlMs: 2000, heartbeatMs: 200 });
    const client = new LocalRegistry({ dir, namespace: 'test', ttlMs: 2000, heartbeatMs: 200 });
    const set = client.watch('greeter');
    const changes: InstanceChange[] = [];
    set.subscribe((change) => changes.push(change));
    await set.ready;
    assert.equal(set.status, 'live');
    assert.deepEqual(set.snapshot(), []);

    const registration = await server.register({
      service: 'greeter',
      address: '127.0.0.1',
      ports: { http: 8083, grpc: 9083 },
      region: 'eu',
      zone: 'eu-1',
      version: '1.2.3',
      metadata: { sha: 'abc' },
    });
    assert.match(registration.instance.id, /^greeter-/);
    assert.deepEqual(await client.list('greeter'), [registration.instance]);
    assert.deepEqual(await client.services(), ['greeter']);
    await eventually(() => set.snapshot().length === 1, { message: 'the watch to see the instance' });
    assert.deepEqual(set.snapshot()[0], registration.instance);
    assert.deepEqual(changes[0]?.added, [registration.instance]);

    await registration.update({ health: 'not-serving' });
    await eventually(() => set.snapshot()[0]?.health === 'not-serving', { message: 'the health change' });
    assert.equal(changes.at(-1)?.updated[0]?.health, 'not-serving');

    await server.deregister();
    await eventually(() => set.snapshot().length === 0, { message: 'the watch to see the removal' });
    assert.equal(changes.at(-1)?.removed[0]?.id, registration.instance.id);
    assert.deepEqual(await client.list('greeter'), []);
    assert.deepEqual(readdirSync(join(dir, 'test', 'greeter')), [], 'no file or temp file left behind');
    set.close();
    await client.close();
    await server.close();
  });

  test('heartbeats that change nothing are not reported as changes', async () => {
    const dir = registryDir();
    const server = new LocalRegistry({ dir, namespace: 'test', ttlMs: 1000, heartbeatMs: 100, rescanMs: 100 });
    const registration = await server.register({ service: 'quiet', address: '127.0.0.1', ports: { http: 1 } });
    const set = server.watch('quiet');
    await eventually(() => set.snapshot().length === 1, { message: 'the instance' });
    let changes = 0;
    set.subscribe(() => (changes += 1));
    // Several heartbeats (each rewrites the entry, waking the watch) and the rescans between them, counted in the entry file.
    const entry = join(dir, 'test', 'quiet', `${registration.instance.id}.json`);
    const heartbeats = new Set<number>();
    await eventually(() => heartbeats.add((JSON.parse(readFileSync(entry, 'utf8')) as { heartbeatAt: number }).heartbeatAt).size > 5, {
      message: 'five more heartbeats',
    });
    assert.equal(changes, 0);
    await server.close();
  });

  test('registering twice is a no-op that returns the same registration', async () => {
    const dir = registryDir();
    const registry = new LocalRegistry({ dir, namespace: 'test' });
    const [first, second] = await Promise.all([
      registry.register({ service: 'once', address: '127.0.0.1', ports: { http: 1 } }),
      registry.register({ service: 'once', address: '127.0.0.1', ports: { http: 2 } }),
    ]);
    const third = await registry.register({ service: 'once', address: '127.0.0.1', ports: { http: 3 } });
    assert.equal(second, first);
    assert.equal(third, first);
    const listed = await registry.list('once');
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.ports.http, 1);
    assert.equal(readdirSync(join(dir, 'test', 'once')).length, 1);
    await registry.close();
  });

  test('an invalid spec is refused and does not use up the one registration', async () => {
    const registry = new LocalRegistry({ dir: registryDir(), namespace: 'test' });
    await assert.rejects(registry.register({ service: 'bad name!', address: '127.0.0.1', ports: { http: 1 } }), /service "bad name!"/);
    await assert.rejects(registry.register({ service: 'svc', address: '127.0.0.1', ports: {} }), /at least one port/);
    await assert.rejects(registry.register({ service: 'svc', address: '127.0.0.1', ports: { http: 70000 } }), /ports\.http/);
    const ok = await registry.register({ service: 'svc', address: '127.0.0.1', ports: { grpc: 9000 } });
    assert.equal(ok.instance.ports.grpc, 9000);
    await registry.close();
  });

  test('expired, unreadable and foreign files are ignored, and expired ones cleaned up', async () => {
    const dir = registryDir();
    const serviceDir = join(dir, 'test', 'orders');
    mkdirSync(serviceDir, { recursive: true });
    const instance = {
      id: 'orders-old',
      service: 'orders',
      address: '127.0.0.1',
      ports: { http: 1 },
      version: '1',
      region: 'local',
      zone: 'local',
      weight: 100,
      health: 'serving',
      metadata: {},
    };
    writeFileSync(
      join(serviceDir, 'orders-old.json'),
      JSON.stringify({ instance, heartbeatAt: Date.now() - 60_000, ttlMs: 5000, pid: 1, host: 'elsewhere' }),
    );
    writeFileSync(join(serviceDir, 'garbage.json'), '{ not json');
    writeFileSync(join(serviceDir, 'README.txt'), 'not an entry');
    const fresh = { ...instance, id: 'orders-new' };
    writeFileSync(
      join(serviceDir, 'orders-new.json'),
      JSON.stringify({ instance: fresh, heartbeatAt: Date.now() + 60_000, ttlMs: 5000, pid: 1, host: 'elsewhere' }),
    );
    const registry = new LocalRegistry({ dir, namespace: 'test' });
    assert.deepEqual(
      (await registry.list('orders')).map((i) => i.id),
      ['orders-new'],
    );
    assert.deepEqual(readdirSync(serviceDir).sort(), ['README.txt', 'garbage.json', 'orders-new.json']);
    await registry.close();
  });

  test('namespaces do not see each other', async () => {
    const dir = registryDir();
    const dev = new LocalRegistry({ dir, namespace: 'dev' });
    const prod = new LocalRegistry({ dir, namespace: 'prod' });
    await dev.register({ service: 'users', address: '127.0.0.1', ports: { http: 1 } });
    assert.equal((await dev.list('users')).length, 1);
    assert.deepEqual(await prod.list('users'), []);
    await dev.close();
    await prod.close();
  });
});
