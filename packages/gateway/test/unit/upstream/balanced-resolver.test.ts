/**
 * BalancedUpstreamResolver on its own: static instance lists and discovered
 * services (a real local registry in a temporary folder) behind one pick API,
 * whose done() reports feed ejection; balancer state survives a route reload;
 * locality prefers the gateway's zone.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { LocalRegistry } from '@flotilla/discovery';
import { eventually, tempDir } from '@flotilla/testing';
import type { BalancingOptions } from '../../../src/config.ts';
import { BalancedUpstreamResolver } from '../../../src/upstream/balanced-resolver.ts';

const balancing: BalancingOptions = {
  strategy: 'p2c',
  ejection: { enabled: true, consecutiveFailures: 2, baseEjectionMs: 60_000, maxEjectionMs: 60_000 },
  waitForInstancesMs: 2_000,
};
const locality = { region: 'eu', zone: 'eu-1' };
const dirs: Array<{ remove(): void }> = [];
after(() => {
  for (const d of dirs) d.remove();
});

function picks(resolver: BalancedUpstreamResolver, service: string, count: number, ok = true): string[] {
  const origins: string[] = [];
  for (let i = 0; i < count; i++) {
    const picked = resolver.pick(service);
    assert.ok(picked !== undefined, `an instance of ${service}`);
    origins.push(picked.origin);
    picked.done({ ok, latencyMs: 1 });
  }
  return origins;
}

test('static instances: failures reported through done() eject one; the ejection survives a reload of the same list', () => {
  const resolver = new BalancedUpstreamResolver({ locality, balancing });
  const upstreams = { users: { instances: ['http://127.0.0.1:1', 'http://127.0.0.1:2'] }, ghost: { instances: [] } };
  resolver.configure(upstreams);
  assert.deepEqual(new Set(picks(resolver, 'users', 50)), new Set(['http://127.0.0.1:1', 'http://127.0.0.1:2']));
  for (let i = 0; i < 2; i++) {
    let picked = resolver.pick('users')!;
    while (picked.origin !== 'http://127.0.0.1:1') {
      picked.done({ ok: true });
      picked = resolver.pick('users')!;
    }
    picked.done({ ok: false });
  }
  assert.deepEqual(new Set(picks(resolver, 'users', 30)), new Set(['http://127.0.0.1:2']));
  resolver.configure({ ...upstreams, orders: { instances: ['https://orders.example'] } });
  assert.deepEqual(new Set(picks(resolver, 'users', 30)), new Set(['http://127.0.0.1:2']), 'still ejected after the reload');
  assert.equal(resolver.stats('users').find((s) => s.id === 'http://127.0.0.1:1')?.ejected, true);
  assert.deepEqual(picks(resolver, 'orders', 1), ['https://orders.example']);
  assert.equal(resolver.pick('ghost'), undefined, 'an empty list has no instance');
  assert.equal(resolver.pick('unknown'), undefined, 'an undeclared upstream has none either');
  resolver.close();
});

test('discovered instances: the gateway zone first, the rest when it has none; a deregistered instance stops being picked', async () => {
  const dir = tempDir('balanced-resolver');
  dirs.push(dir);
  const options = { dir: dir.path, namespace: 'test' };
  const [near, far, watcher] = [new LocalRegistry(options), new LocalRegistry(options), new LocalRegistry(options)];
  await near.register({
    service: 'orders',
    id: 'near',
    address: '127.0.0.1',
    ports: { http: 8001 },
    region: 'eu',
    zone: 'eu-1',
  });
  await far.register({
    service: 'orders',
    id: 'far',
    address: '127.0.0.1',
    ports: { http: 8002, grpc: 9002 },
    region: 'us',
    zone: 'us-1',
  });
  const resolver = new BalancedUpstreamResolver({ registry: watcher, locality, balancing });
  resolver.configure({ orders: {} });
  await resolver.ready(5_000);
  assert.deepEqual([...resolver.instances('orders')].sort(), ['http://127.0.0.1:8001', 'http://127.0.0.1:8002']);
  assert.deepEqual(new Set(picks(resolver, 'orders', 30)), new Set(['http://127.0.0.1:8001']), 'same zone only');
  await near.deregister();
  await eventually(() => resolver.instances('orders').length === 1, { message: 'near to leave' });
  assert.deepEqual(new Set(picks(resolver, 'orders', 10)), new Set(['http://127.0.0.1:8002']), 'another region when the zone has none');
  resolver.setBalancing({ ...balancing, strategy: 'round-robin' });
  await resolver.ready(5_000);
  assert.deepEqual(
    picks(resolver, 'orders', 2),
    ['http://127.0.0.1:8002', 'http://127.0.0.1:8002'],
    'fresh balancers after a balancing change',
  );
  await far.deregister();
  await eventually(() => resolver.pick('orders') === undefined, { message: 'no instance left' });
  resolver.close();
  await Promise.all([near.close(), far.close(), watcher.close()]);
});
