/**
 * The gateway on discovery, end to end with real processes and real etcd:
 * echo service processes register themselves (as every kit service does),
 * the gateway finds them through the registry and balances over them.
 *
 *  - graceful stop (SIGTERM): the instance deregisters, traffic moves on;
 *  - kill -9: the entry disappears within the lease TTL and traffic through
 *    the gateway stops going to it;
 *  - etcd stopped while traffic flows: zero failed requests; when etcd is back,
 *    a process that started during the outage registers by itself and the
 *    gateway's watch picks it up.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { EtcdRegistry } from '@flotilla/discovery';
import { eventually, type ServiceProcess, sharedEtcd, tempDir } from '@flotilla/testing';
import { startEtcd } from '../../../../scripts/test-services/index.ts';
import {
  discoveryWorld,
  NAMESPACE,
  startDiscoveringGateway,
  startEcho,
  trafficThrough,
  type DiscoveringGateway,
  type DiscoveryWorld,
} from './support/discovery.ts';

const etcd = sharedEtcd();
const skip = 'skip' in etcd ? etcd.skip : false;
const TTL_SECONDS = 2;

/** Waits until `count` requests in a row through the gateway are all answered 200 by `name`. */
async function allTrafficGoesTo(gateway: DiscoveringGateway, name: string, count = 20): Promise<void> {
  let streak = 0;
  await eventually(
    async () => {
      const { status, name: answered } = await gateway.who();
      streak = status === 200 && answered === name ? streak + 1 : 0;
      return streak >= count;
    },
    { timeoutMs: 20_000, intervalMs: 0, message: `${count} answers in a row from ${name}` },
  );
}

describe('gateway over etcd discovery: instances come and go', { skip }, () => {
  let world: DiscoveryWorld;
  let registry: EtcdRegistry;
  let gateway: DiscoveringGateway;
  const echoes: ServiceProcess[] = [];
  const ports = async (): Promise<string[]> =>
    (await registry.list('echo'))
      .map((i) => i.ports.http)
      .map(String)
      .sort();
  const portOf = (echo: ServiceProcess): string => new URL(echo.url).port;

  before(async () => {
    const endpoint = (etcd as { endpoint: string }).endpoint;
    const prefix = `/flotilla-e2e-${randomBytes(4).toString('hex')}`;
    world = discoveryWorld({
      BACKEND: 'etcd',
      ETCD__ENDPOINTS: endpoint,
      ETCD__PREFIX: prefix,
      ETCD__TTL_SECONDS: String(TTL_SECONDS),
    });
    registry = new EtcdRegistry({ endpoints: [endpoint], prefix, namespace: NAMESPACE });
    echoes.push(...(await Promise.all([startEcho(world, 'a'), startEcho(world, 'b')])));
    gateway = await startDiscoveringGateway(world);
  });
  after(async () => {
    await gateway?.stop();
    await Promise.all(echoes.map((e) => e.kill9()));
    await registry?.close();
    world?.remove();
  });

  test('both registered instances serve traffic through the gateway', async () => {
    assert.deepEqual(await ports(), echoes.map(portOf).sort());
    const seen = new Set<string>();
    const statuses: number[] = [];
    await eventually(
      async () => {
        const { status, name } = await gateway.who();
        statuses.push(status);
        if (status === 200) seen.add(name!);
        return seen.size === 2;
      },
      { message: 'answers from a and b' },
    );
    assert.deepEqual(
      statuses.filter((status) => status !== 200),
      [],
      'every answer was a 200',
    );
  });

  test('kill -9: the instance leaves the registry within its TTL and traffic stops going to it', async (t) => {
    const [a, b] = echoes as [ServiceProcess, ServiceProcess];
    const killedAt = Date.now();
    await b.kill9();
    await eventually(async () => !(await ports()).includes(portOf(b)), {
      timeoutMs: TTL_SECONDS * 1000 * 5,
      intervalMs: 50,
      message: 'b to leave the registry',
    });
    t.diagnostic(`b left the registry ${Date.now() - killedAt} ms after kill -9 (TTL ${TTL_SECONDS} s)`);
    await allTrafficGoesTo(gateway, 'a');
    assert.deepEqual(await ports(), [portOf(a)]);
  });

  test('graceful stop: the instance deregisters before it exits, and traffic moves on', async () => {
    const c = await startEcho(world, 'c');
    echoes.push(c);
    await eventually(async () => (await gateway.who()).name === 'c', { message: 'the gateway to find c' });
    assert.equal(await c.stop(), 0);
    assert.match(c.stdout(), /"action":"deregistered"/);
    // Deregistration is done before the process exits: no waiting for a TTL here.
    assert.ok(!(await ports()).includes(portOf(c)));
    await allTrafficGoesTo(gateway, 'a');
  });
});

describe('gateway over etcd discovery: etcd goes down under traffic', { skip }, () => {
  test('zero failed requests while etcd is down; afterwards registrations and watches recover by themselves', {
    timeout: 120_000,
  }, async (t) => {
    const etcdDir = tempDir('gateway-etcd-outage');
    let privateEtcd = await startEtcd({ dir: etcdDir.path, log: () => undefined });
    const { clientPort, peerPort } = privateEtcd;
    const world = discoveryWorld({ BACKEND: 'etcd', ETCD__ENDPOINTS: privateEtcd.endpoint, ETCD__TTL_SECONDS: '3' });
    const registry = new EtcdRegistry({ endpoints: [privateEtcd.endpoint], namespace: NAMESPACE });
    const echoes: ServiceProcess[] = [];
    let gateway: DiscoveringGateway | undefined;
    t.after(async () => {
      await gateway?.stop();
      await Promise.all(echoes.map((e) => e.kill9()));
      await registry.close();
      await privateEtcd.stop();
      etcdDir.remove();
      world.remove();
    });

    echoes.push(await startEcho(world, 'first'));
    gateway = await startDiscoveringGateway(world);
    await allTrafficGoesTo(gateway, 'first', 5);

    const traffic = trafficThrough(gateway);
    await privateEtcd.stop();
    // A process starting during the outage cannot register yet: it starts anyway and keeps trying.
    const late = await startEcho(world, 'late');
    echoes.push(late);
    await late.printed(/"action":"registration-pending"/);
    const duringOutage = traffic.total;

    privateEtcd = await startEtcd({ dir: etcdDir.path, clientPort, peerPort, log: () => undefined });
    await late.printed(/"action":"registered"/);
    await eventually(() => (traffic.answers.get('late') ?? 0) > 0, {
      timeoutMs: 30_000,
      message: 'the gateway to send traffic to the late instance',
    });
    await traffic.stop();

    t.diagnostic(
      `${traffic.total} requests (${duringOutage} until the late process gave up waiting for etcd): ${JSON.stringify(Object.fromEntries(traffic.answers))}`,
    );
    assert.deepEqual(traffic.failures, [], 'no request failed');
    assert.ok(duringOutage > 0);
    assert.deepEqual((await registry.list('echo')).length, 2, 'the first registration survived the outage, the late one was added');
  });
});
