/** The service hook: register once listeners are up, deregister on stop, refuse an invalid instance. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { tempDir } from '@flotilla/testing';
import { LocalRegistry } from '../../src/local/local-registry.ts';
import { startRegistration } from '../../src/start-registration.ts';

const dirs: Array<{ remove(): void }> = [];
after(() => {
  for (const d of dirs) d.remove();
});

test('startRegistration registers once listeners are up and stop() deregisters', async () => {
  const dir = tempDir('start-registration');
  dirs.push(dir);
  const registry = new LocalRegistry({ dir: dir.path, namespace: 'test' });
  const logs: string[] = [];
  const logger = {
    info: (_o: object, m: string) => logs.push(m),
    warn: (_o: object, m: string) => logs.push(`WARN ${m}`),
  };
  const running = await startRegistration({
    registry,
    instance: { service: 'users', id: 'users-1', address: '127.0.0.1', ports: { http: 8081, grpc: 9081 } },
    logger,
  });
  assert.equal(running.registration?.instance.id, 'users-1');
  assert.deepEqual(
    (await registry.list('users')).map((i) => i.health),
    ['serving'],
  );
  await running.setHealth('not-serving');
  assert.deepEqual(
    (await registry.list('users')).map((i) => i.health),
    ['not-serving'],
  );
  await Promise.all([running.stop(), running.stop()]);
  assert.deepEqual(await registry.list('users'), []);
  assert.deepEqual(logs, ['registered users-1 in the local registry', 'deregistered from the local registry']);
  await registry.close();
});

test('startRegistration fails the start for an invalid instance', async () => {
  const dir = tempDir('start-invalid');
  dirs.push(dir);
  const registry = new LocalRegistry({ dir: dir.path, namespace: 'test' });
  await assert.rejects(
    startRegistration({ registry, instance: { service: 'users', address: '127.0.0.1', ports: {} } }),
    /at least one port/,
  );
  await registry.close();
});
