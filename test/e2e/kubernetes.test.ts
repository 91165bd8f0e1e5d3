/**
 * The whole system on a real Kubernetes node (kubelet + containerd, from
 * scripts/test-services kube-node): images built and imported, deploy/kubernetes applied,
 * the operator (two replicas, leader election) making the users and orders databases on
 * the harness's PostgreSQL and deploying users, orders, greeter and the gateway; then
 * traffic through the gateway and the drills: each service on its own database, a rolling
 * update under load, Pods killed under load, the operator's leader deleted, the
 * autoscaler's bounds changed, a Microservice waiting for its Database, and what deleting
 * a Database leaves on the server. The figures each step measures are printed as
 * `[e2e] figure …` lines.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Resources, type KubeObject } from '@flotilla/kube';
import { appSecretName, ConditionTypes, DSN_KEY, findCondition, type Microservice } from '@flotilla/operator';
import { eventually, getOrUndefined } from '@flotilla/testing';
import { isReady, killContainer, nodeClusterOrSkipReason, podsOf, readyPods, type NodeCluster, type Pod } from './support/cluster.ts';
import { createAdminSecret, type DatabaseServer } from './support/database-server.ts';
import { createDatabase, deleteDatabase, getSecret, secretValues, waitForDatabaseReady } from './support/databases.ts';
import { startLoad, type LoadTarget } from './support/load.ts';
import { applyDeploy, buildAndImportImages, NAMESPACE, OPERATOR_NAMESPACE, waitForSystem } from './support/system.ts';
import { call, gatewayUrls, grpcHealth, servedRequests } from './support/traffic.ts';

const log = (message: string): void => {
  process.stderr.write(`[e2e] ${message}\n`);
};
const figure = (name: string, value: string): void => log(`figure ${name}: ${value}`);
const since = (start: number): string => `${((Date.now() - start) / 1000).toFixed(1)} s`;

const MICROSERVICES = { group: 'flotilla.dev', version: 'v1alpha1', plural: 'microservices', kind: 'Microservice', namespaced: true };
const MERGE = 'merge';

/** The examples' Databases (deploy/kubernetes/examples/databases.yaml): name and databaseName alike. */
const EXAMPLE_DATABASES = ['users', 'orders'] as const;
/** The deletion drill's Databases and the Microservice that waits for one of them. */
const DRILL = 'drill';
const DRILL_DATABASES = {
  deleted: { name: 'drill-delete', databaseName: 'drill_delete' },
  retained: { name: 'drill-retain', databaseName: 'drill_retain' },
};

interface Lease extends KubeObject {
  spec: { holderIdentity?: string; leaseTransitions?: number };
}

test('the whole system deployed by the operator on a real node', { timeout: 30 * 60_000 }, async (t) => {
  const found = nodeClusterOrSkipReason();
  if ('skip' in found) return t.skip(found.skip);
  const cluster: NodeCluster = found;
  let server: DatabaseServer | undefined;
  t.after(async () => {
    // Pods go with the node when the harness stops it. The operator goes first, so that it
    // makes nothing again; then what it made on the harness's PostgreSQL, and the relays.
    await cluster.client.delete(Resources.Namespace, undefined, OPERATOR_NAMESPACE).catch(() => {});
    const made = [...EXAMPLE_DATABASES.map((name) => [name, name]), ...Object.values(DRILL_DATABASES).map((d) => [d.name, d.databaseName])];
    const dropped = await Promise.allSettled(made.map(([name, databaseName]) => server?.dropIfMarked(name!, databaseName!)));
    for (const result of dropped) if (result.status === 'rejected') log(`cleanup: ${String(result.reason)}`);
    await cluster.close();
  });
  let gateways: string[] = [];
  let userId = '';

  await t.test('deploy: images imported, deploy/kubernetes applied, every Pod Ready', async () => {
    let start = Date.now();
    await buildAndImportImages(cluster, log);
    figure('images built and imported', since(start));
    server = await createAdminSecret(cluster);
    start = Date.now();
    await applyDeploy(cluster);
    await Promise.all([
      Promise.all(EXAMPLE_DATABASES.map((name) => waitForDatabaseReady(cluster, name, 300_000))).then(() =>
        figure('apply to both Databases Ready (the operator starting included)', since(start)),
      ),
      waitForSystem(cluster, 300_000),
    ]);
    figure('apply to every Pod Ready (operator x2, users x2, orders x2, greeter, gateway x2)', since(start));
    gateways = await gatewayUrls(cluster);
    assert.equal(gateways.length, 2);
  });

  await t.test('traffic through the gateway: users CRUD, an order checked over gRPC, the profile aggregation, gRPC health', async () => {
    const [gateway] = gateways;
    const created = await call('POST', `${gateway}/api/users`, { name: 'Ada', email: `ada-${Date.now()}@example.com` });
    assert.equal(created.status, 201, created.text);
    userId = (created.body as { id: string }).id;
    const read = await call('GET', `${gateways[1]}/api/users/${userId}`);
    assert.equal(read.status, 200, read.text);
    assert.equal((read.body as { name: string }).name, 'Ada');
    const renamed = await call('PUT', `${gateway}/api/users/${userId}`, { name: 'Ada L.', email: (read.body as { email: string }).email });
    assert.equal(renamed.status, 200, renamed.text);

    const order = await call('POST', `${gateway}/api/orders`, {
      userId,
      currency: 'EUR',
      items: [{ sku: 'BOOK', quantity: 2, unitPrice: 1250 }],
    });
    assert.equal(order.status, 201, order.text);
    assert.equal((order.body as { total: number }).total, 2500);
    const orphan = await call('POST', `${gateway}/api/orders`, {
      userId: '01936f0e-8c3a-7cc4-9a52-3f1e2d4b5a69',
      currency: 'EUR',
      items: [{ sku: 'X', quantity: 1, unitPrice: 1 }],
    });
    assert.equal(orphan.status, 422, `orders asked users over gRPC and was told the user does not exist: ${orphan.text}`);

    const profile = await call('GET', `${gateway}/api/users/${userId}/profile`);
    assert.equal(profile.status, 200, profile.text);
    const parts = profile.body as { user: { name: string }; orders: { items: { userId: string }[] } };
    assert.equal(parts.user.name, 'Ada L.');
    assert.deepEqual(
      parts.orders.items.map((o) => o.userId),
      [userId],
    );
    const hello = await call('GET', `${gateway}/api/hello/node`);
    assert.equal(hello.status, 200, hello.text);

    for (const [name, port, service] of [
      ['users', 9081, 'flotilla.users.v1.UserService'],
      ['orders', 9082, 'flotilla.orders.v1.OrderService'],
    ] as const) {
      for (const pod of await readyPods(cluster, NAMESPACE, name)) {
        assert.equal(await grpcHealth(`${pod.status!.podIP}:${port}`, ''), 'SERVING');
        assert.equal(await grpcHealth(`${pod.status!.podIP}:${port}`, service), 'SERVING');
      }
    }
    const deleted = await call('POST', `${gateway}/api/users`, { name: 'Temp', email: `temp-${Date.now()}@example.com` });
    const tempId = (deleted.body as { id: string }).id;
    assert.equal((await call('DELETE', `${gateway}/api/users/${tempId}`)).status, 204);
    assert.equal((await call('GET', `${gateway}/api/users/${tempId}`)).status, 404);
  });

  await t.test('databases: users and orders Ready with their Secrets, each service on its own database only', async () => {
    const dsns: Record<string, string> = {};
    for (const name of EXAMPLE_DATABASES) {
      const db = await waitForDatabaseReady(cluster, name, 10_000);
      assert.equal(db.status?.secretName, appSecretName(db));
      const secret = await getSecret(cluster, appSecretName(db));
      assert.ok(secret, `Secret ${appSecretName(db)}`);
      const owner = secret.metadata.ownerReferences?.find((o) => o.controller);
      assert.deepEqual([owner?.kind, owner?.uid], ['Database', db.metadata.uid], 'the Secret goes with its Database');
      const values = secretValues(secret);
      assert.deepEqual(
        [values.host, values.database, values.username],
        [cluster.hostIP, name, name],
        'on the relayed server, a database and role of its own',
      );
      dsns[name] = values[DSN_KEY]!;

      // The Microservice saw it Ready, and each of its Pods gets the DSN from that Secret by reference.
      const ms = await cluster.client.get<Microservice>(MICROSERVICES, NAMESPACE, name);
      assert.equal(findCondition(ms.status?.conditions, ConditionTypes.DatabaseReady)?.status, 'True');
      const pods = await readyPods(cluster, NAMESPACE, name);
      assert.ok(pods.length > 0);
      for (const pod of pods) {
        const env = pod.spec.containers[0]!.env ?? [];
        assert.deepEqual(
          env.filter((e) => e.name.endsWith('_DATABASE_URL')),
          [{ name: `${name.toUpperCase()}_DATABASE_URL`, valueFrom: { secretKeyRef: { name: appSecretName(db), key: DSN_KEY } } }],
        );
      }
      const [who] = await server!.query<{
        database: string;
        role: string;
        rolsuper: boolean;
        rolcreatedb: boolean;
        rolcreaterole: boolean;
      }>(
        dsns[name]!,
        'SELECT current_database() AS database, current_user AS role, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user',
      );
      assert.deepEqual(who, { database: name, role: name, rolsuper: false, rolcreatedb: false, rolcreaterole: false });
    }
    // What the traffic wrote is where each service's DSN points: the user in users, the order in orders.
    const [user] = await server!.query<{ n: number }>(dsns.users!, 'SELECT count(*)::int AS n FROM users WHERE id = $1', [userId]);
    assert.equal(user?.n, 1);
    const [order] = await server!.query<{ n: number }>(dsns.orders!, 'SELECT count(*)::int AS n FROM orders WHERE user_id = $1', [userId]);
    assert.equal(order?.n, 1);
    // And not the other's: its role has no CONNECT there.
    for (const [own, other] of [
      ['users', 'orders'],
      ['orders', 'users'],
    ] as const) {
      const elsewhere = new URL(dsns[own]!);
      elsewhere.pathname = `/${other}`;
      await assert.rejects(server!.query(elsewhere.toString(), 'SELECT 1'), (error: { code?: string; message?: string }) => {
        assert.equal(error.code, '42501', error.message);
        return true;
      });
    }
  });

  const targets = (): LoadTarget[] => [
    { method: 'GET', path: `/api/users/${userId}`, expect: 200 },
    { method: 'GET', path: `/api/users/${userId}/profile`, expect: 200 },
    { method: 'GET', path: `/api/users/${userId}`, expect: 200 },
    { method: 'GET', path: '/api/hello/load', expect: 200 },
  ];

  await t.test('rolling update of users under load: no failed request, the old ReplicaSet drained', async () => {
    const before = new Set((await podsOf(cluster, NAMESPACE, 'users')).map((p) => p.metadata.name));
    const load = startLoad({ gateways: () => gateways, targets: targets(), rate: 40, maxRequests: 20_000 });
    await load.answered(80);
    const start = Date.now();
    await cluster.client.patch(MICROSERVICES, NAMESPACE, 'users', { spec: { config: { inline: { ROLLOUT: 'second' } } } }, MERGE);
    await eventually(
      async () => {
        const pods = await podsOf(cluster, NAMESPACE, 'users');
        return pods.length === 2 && pods.every((p) => !before.has(p.metadata.name) && isReady(p));
      },
      { timeoutMs: 240_000, intervalMs: 250, message: 'users rolled out: two new Pods Ready, every old Pod gone' },
    );
    figure('users rolling update (2 Pods, maxSurge 1, maxUnavailable 0)', since(start));
    await load.answered(80);
    const result = await load.stop();
    figure('rolling update: failed requests', `${result.failed} of ${result.sent}`);
    assert.equal(result.failed, 0, result.failures.join('\n'));
    const replicaSets = await cluster.client.list<KubeObject & { status?: { replicas?: number } }>(Resources.ReplicaSet, NAMESPACE, {
      labelSelector: 'flotilla.dev/microservice=users',
    });
    assert.equal(replicaSets.items.length, 2, 'the old ReplicaSet is kept (rollback) and the new one runs');
    assert.deepEqual(replicaSets.items.map((rs) => rs.status?.replicas ?? 0).sort(), [0, 2]);
  });

  await t.test('users Pods killed under load (kill -9 of the container, then a Pod deleted): at most 0.1 % failed', async () => {
    const load = startLoad({ gateways: () => gateways, targets: targets(), rate: 40, maxRequests: 20_000 });
    await load.answered(80);

    const [victim] = await readyPods(cluster, NAMESPACE, 'users');
    const restarts = victim!.status!.containerStatuses![0]!.restartCount;
    let start = Date.now();
    await killContainer(cluster, victim!);
    const restarted = await waitForPod(
      cluster,
      'users',
      (p) => p.metadata.name === victim!.metadata.name && p.status!.containerStatuses![0]!.restartCount > restarts && isReady(p),
    );
    figure('kill -9: container restarted and Ready again', since(start));
    figure('kill -9: Ready to first request served through the gateway', await untilServing(restarted));
    await load.answered(80);

    const [deleted] = await readyPods(cluster, NAMESPACE, 'users');
    start = Date.now();
    await cluster.client.delete(Resources.Pod, NAMESPACE, deleted!.metadata.name!);
    const replacement = await waitForPod(
      cluster,
      'users',
      (p) => p.metadata.name !== deleted!.metadata.name && !isOld(p, start) && isReady(p),
    );
    figure('Pod deleted: replacement Ready', since(start));
    figure('Pod deleted: replacement Ready to first request served', await untilServing(replacement));
    await eventually(async () => (await podsOf(cluster, NAMESPACE, 'users')).every((p) => p.metadata.name !== deleted!.metadata.name), {
      timeoutMs: 120_000,
      intervalMs: 250,
      message: 'the deleted Pod gone',
    });
    await load.answered(80);
    const result = await load.stop();
    figure('Pods killed: failed requests', `${result.failed} of ${result.sent} (${(result.failureRatio * 100).toFixed(2)} %)`);
    assert.ok(result.failureRatio <= 0.001, `${result.failed} of ${result.sent} failed:\n${result.failures.join('\n')}`);
  });

  await t.test('the operator leader deleted: the standby takes over and applies a change made meanwhile', async () => {
    const lease = await cluster.client.get<Lease>(Resources.Lease, OPERATOR_NAMESPACE, 'flotilla-operator');
    const leader = lease.spec.holderIdentity!.split('_')[0]!;
    const start = Date.now();
    await cluster.client.delete(Resources.Pod, OPERATOR_NAMESPACE, leader);
    await cluster.client.patch(MICROSERVICES, NAMESPACE, 'greeter', { spec: { replicas: 2 } }, MERGE);
    await eventually(
      async () => {
        const now = await cluster.client.get<Lease>(Resources.Lease, OPERATOR_NAMESPACE, 'flotilla-operator');
        return now.spec.holderIdentity !== undefined && now.spec.holderIdentity !== '' && !now.spec.holderIdentity.startsWith(`${leader}_`);
      },
      { timeoutMs: 60_000, intervalMs: 100, message: 'another operator Pod holds the lease' },
    );
    figure('leader deleted to a new leader', since(start));
    await eventually(async () => (await readyPods(cluster, NAMESPACE, 'greeter')).length === 2, {
      timeoutMs: 120_000,
      intervalMs: 250,
      message: 'greeter scaled to 2 Ready Pods by the new leader',
    });
    figure('leader deleted to the change applied (greeter 1 -> 2 Ready)', since(start));
  });

  await t.test('autoscaling: the operator owns a HorizontalPodAutoscaler whose bounds the controller enforces', async () => {
    type Hpa = KubeObject & { spec: { minReplicas: number; maxReplicas: number }; status?: { desiredReplicas?: number } };
    const hpa = await cluster.client.get<Hpa>(Resources.HorizontalPodAutoscaler, NAMESPACE, 'users');
    assert.deepEqual([hpa.spec.minReplicas, hpa.spec.maxReplicas], [2, 4]);
    assert.equal(hpa.metadata.ownerReferences?.[0]?.kind, 'Microservice');
    const start = Date.now();
    await cluster.client.patch(MICROSERVICES, NAMESPACE, 'users', { spec: { autoscaling: { minReplicas: 3 } } }, MERGE);
    await eventually(async () => (await readyPods(cluster, NAMESPACE, 'users')).length === 3, {
      timeoutMs: 180_000,
      intervalMs: 250,
      message: 'the HPA controller scaled users to its new minimum (3 Ready)',
    });
    figure('HPA minimum 2 -> 3 to 3 Ready Pods', since(start));
    const scaled = await getOrUndefined(() => cluster.client.get<Hpa>(Resources.HorizontalPodAutoscaler, NAMESPACE, 'users'));
    assert.equal(scaled?.status?.desiredReplicas, 3);
  });

  await t.test(
    'a Microservice waits for its Database; deleting a Database: Delete drops database and role, Retain keeps both',
    async () => {
      const { deleted, retained } = DRILL_DATABASES;
      // A greeter that names a Database not made yet: no Deployment, DatabaseReady False.
      await cluster.client.apply(MICROSERVICES, drillMicroservice(deleted.name));
      await eventually(
        async () => {
          const ms = await cluster.client.get<Microservice>(MICROSERVICES, NAMESPACE, DRILL);
          return findCondition(ms.status?.conditions, ConditionTypes.DatabaseReady)?.reason === 'DatabaseNotFound';
        },
        { timeoutMs: 60_000, intervalMs: 100, message: `Microservice ${DRILL} waiting: DatabaseReady False, DatabaseNotFound` },
      );
      assert.equal(await getOrUndefined(() => cluster.client.get(Resources.Deployment, NAMESPACE, DRILL)), undefined, 'no Deployment yet');

      const start = Date.now();
      await Promise.all([
        createDatabase(cluster, deleted.name, deleted.databaseName, 'Delete'),
        createDatabase(cluster, retained.name, retained.databaseName, 'Retain'),
      ]);
      await waitForDatabaseReady(cluster, deleted.name, 60_000);
      figure('Database created to Ready', since(start));
      const ready = Date.now();
      await eventually(async () => (await readyPods(cluster, NAMESPACE, DRILL)).length === 1, {
        timeoutMs: 120_000,
        intervalMs: 100,
        message: `the waiting Microservice ${DRILL}'s Pod Ready`,
      });
      figure('Microservice waiting: its Database Ready to its Pod Ready', since(ready));
      const [pod] = await readyPods(cluster, NAMESPACE, DRILL);
      assert.deepEqual(
        pod!.spec.containers[0]!.env?.find((e) => e.name === 'DRILL_DATABASE_URL')?.valueFrom,
        { secretKeyRef: { name: `${deleted.name}-db-credentials`, key: DSN_KEY } },
        'the DSN under <NAME>_DATABASE_URL',
      );
      await waitForDatabaseReady(cluster, retained.name, 60_000);
      for (const { databaseName } of [deleted, retained])
        assert.deepEqual(await server!.has(databaseName), { database: true, role: true }, databaseName);
      await cluster.client.delete(MICROSERVICES, NAMESPACE, DRILL);

      let deleting = Date.now();
      await deleteDatabase(cluster, deleted.name, 60_000);
      figure('Database deleted (Delete) to gone, database and role dropped', since(deleting));
      assert.deepEqual(await server!.has(deleted.databaseName), { database: false, role: false }, 'Delete: nothing left on the server');
      await eventually(async () => (await getSecret(cluster, `${deleted.name}-db-credentials`)) === undefined, {
        timeoutMs: 60_000,
        intervalMs: 100,
        message: 'its Secret gone with it',
      });

      deleting = Date.now();
      await deleteDatabase(cluster, retained.name, 60_000);
      figure('Database deleted (Retain) to gone', since(deleting));
      assert.deepEqual(await server!.has(retained.databaseName), { database: true, role: true }, 'Retain: both kept');
      await server!.dropIfMarked(retained.name, retained.databaseName);
      assert.deepEqual(await server!.has(retained.databaseName), { database: false, role: false }, 'the retained database removed by hand');
    },
  );
});

/** A greeter (no database of its own; it ignores the DSN) that names the Database `database`. */
function drillMicroservice(database: string): Microservice {
  return {
    apiVersion: 'flotilla.dev/v1alpha1',
    kind: 'Microservice',
    metadata: { name: DRILL, namespace: NAMESPACE },
    spec: {
      image: 'flotilla/greeter:0.1.0',
      serviceAccountName: 'flotilla-service',
      replicas: 1,
      ports: { http: 8083, grpc: 9083 },
      config: { namespace: 'prod' },
      database: { name: database },
      resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } },
    },
  } as Microservice;
}

function isOld(pod: Pod, start: number): boolean {
  return Date.parse(pod.metadata.creationTimestamp ?? '') < start - 1000;
}

async function waitForPod(cluster: NodeCluster, name: string, match: (pod: Pod) => boolean): Promise<Pod> {
  let found: Pod | undefined;
  await eventually(
    async () => {
      found = (await podsOf(cluster, NAMESPACE, name)).find(match);
      return found !== undefined;
    },
    { timeoutMs: 180_000, intervalMs: 100, message: `a ${name} Pod matching the drill` },
  );
  return found!;
}

/** Time from now (the Pod seen Ready) until it has answered a request of the load. */
async function untilServing(pod: Pod): Promise<string> {
  const start = Date.now();
  const before = await servedRequests(pod, 8081);
  await eventually(async () => (await servedRequests(pod, 8081)) > before, {
    timeoutMs: 60_000,
    intervalMs: 50,
    message: `${pod.metadata.name} serving traffic`,
  });
  return since(start);
}
