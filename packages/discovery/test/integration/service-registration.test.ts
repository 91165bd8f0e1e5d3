/**
 * defineService and discovery: a service registers itself once its listeners
 * are up (HTTP and gRPC ports, version, region/zone/weight from config or the
 * environment), peers find it through `context.discovery`, a config change of
 * `discovery.weight` is published live, and a graceful stop deregisters before
 * anything else. Local registry in a temporary FLOTILLA_HOME; the same through
 * the real etcd when the harness provides one (env override of the backend),
 * and on the kubernetes backend, where registering writes nothing and peers
 * come from EndpointSlices.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { GrpcConfig, serviceConfig } from '@flotilla/service';
import { EtcdRegistry } from '../../src/etcd/etcd-registry.ts';
import { LocalRegistry } from '../../src/local/local-registry.ts';
import type { Registry } from '../../src/types.ts';
import { defineService } from '@flotilla/service';
import { Resources } from '@flotilla/kube';
import {
  captureLogs,
  clientFor,
  createNamespace,
  deleteNamespace,
  eventually,
  kubeconfigOrSkipReason,
  sharedEtcd,
  tempDir,
} from '@flotilla/testing';

const NAMESPACE = 'regtest';
const dirs: Array<{ remove(): void }> = [];
after(() => {
  for (const d of dirs) d.remove();
});

const registered = defineService({
  name: 'registered',
  version: '1.2.3',
  config: serviceConfig({ grpc: GrpcConfig }),
  http: (app) => {
    app.get('/whoami', () => ({ pid: process.pid }));
  },
  grpc: { services: () => [] },
});

function listenerEnv(home: string): Record<string, string> {
  return {
    FLOTILLA_HOME: home,
    FLOTILLA_REGISTERED__HTTP__HOST: '127.0.0.1',
    FLOTILLA_REGISTERED__HTTP__PORT: '0',
    FLOTILLA_REGISTERED__GRPC__HOST: '127.0.0.1',
    FLOTILLA_REGISTERED__GRPC__PORT: '0',
  };
}

const actions = (logs: ReturnType<typeof captureLogs>): string[] =>
  logs.lines.map((l) => (l.event as { action?: string } | undefined)?.action ?? '');

test('a service registers once its listeners are up, peers resolve it, a graceful stop deregisters first', async () => {
  const dir = tempDir('service-registration');
  dirs.push(dir);
  mkdirSync(join(dir.path, 'config', NAMESPACE), { recursive: true });
  const logs = captureLogs();
  const running = await registered.start({
    configDir: join(dir.path, 'config'),
    namespace: NAMESPACE,
    logDestination: logs.stream,
    env: {
      ...listenerEnv(join(dir.path, 'home')),
      FLOTILLA_REGISTERED__DISCOVERY__REGION: 'eu',
      FLOTILLA_REGISTERED__DISCOVERY__ZONE: 'eu-1',
      FLOTILLA_REGISTERED__DISCOVERY__WEIGHT: '7',
    },
  });
  const registry = new LocalRegistry({ dir: join(dir.path, 'home', 'registry'), namespace: NAMESPACE });
  try {
    const httpPort = Number(new URL(running.httpUrl!).port);
    const grpcPort = Number(running.grpcAddress!.split(':')[1]);
    const [instance, ...others] = await registry.list('registered');
    assert.equal(others.length, 0);
    assert.deepEqual(
      {
        address: instance!.address,
        ports: instance!.ports,
        version: instance!.version,
        region: instance!.region,
        zone: instance!.zone,
        weight: instance!.weight,
        health: instance!.health,
      },
      {
        address: '127.0.0.1',
        ports: { http: httpPort, grpc: grpcPort },
        version: '1.2.3',
        region: 'eu',
        zone: 'eu-1',
        weight: 7,
        health: 'serving',
      },
    );
    assert.equal(running.context.discovery.registration?.registration?.instance.id, instance!.id);
    assert.ok(actions(logs).indexOf('registered') < actions(logs).indexOf('started'), 'registered before it says it is ready');

    // Exactly once: registering again through the same registry adds nothing.
    await running.context.discovery.registry.register({
      service: 'registered',
      address: '127.0.0.1',
      ports: { http: 1 },
    });
    assert.deepEqual(
      (await registry.list('registered')).map((i) => i.id),
      [instance!.id],
    );

    // Peers resolve it through the context's balancers (HTTP) and resolver (gRPC).
    await running.context.discovery.http.ready('registered', 5_000);
    const picked = running.context.discovery.http.pick('registered');
    assert.equal(picked.target, `127.0.0.1:${httpPort}`);
    const answer = await fetch(`http://${picked.target}/whoami`);
    picked.done({ ok: answer.ok });
    assert.deepEqual(await answer.json(), { pid: process.pid });
    const grpcPicker = running.context.discovery.grpc('registered');
    await grpcPicker.ready;
    const grpcPick = grpcPicker.pick();
    assert.equal(grpcPick.target, `127.0.0.1:${grpcPort}`);
    grpcPick.done({ ok: true });
  } finally {
    await running.stop('test finished');
  }
  assert.deepEqual(await registry.list('registered'), []);
  const order = actions(logs);
  assert.ok(
    order.indexOf('deregistered') !== -1 && order.indexOf('deregistered') < order.indexOf('stopping'),
    `deregistered before draining: ${order.join(', ')}`,
  );
  await registry.close();
});

test('discovery.weight changed in the config centre is published live; other discovery keys wait for a restart', async () => {
  const dir = tempDir('service-weight');
  dirs.push(dir);
  const file = join(dir.path, 'config', NAMESPACE, 'registered.yaml');
  mkdirSync(join(dir.path, 'config', NAMESPACE), { recursive: true });
  writeFileSync(file, 'discovery:\n  weight: 10\n');
  const running = await registered.start({
    configDir: join(dir.path, 'config'),
    namespace: NAMESPACE,
    logDestination: captureLogs().stream,
    env: listenerEnv(join(dir.path, 'home')),
  });
  const registry = new LocalRegistry({ dir: join(dir.path, 'home', 'registry'), namespace: NAMESPACE });
  try {
    assert.deepEqual(
      (await registry.list('registered')).map((i) => i.weight),
      [10],
    );
    writeFileSync(file, 'discovery:\n  weight: 60\n  zone: elsewhere\n');
    await eventually(async () => (await registry.list('registered'))[0]?.weight === 60, { message: 'the new weight in the registry' });
    const status = (await (await fetch(`${running.httpUrl}/admin/config`)).json()) as { pendingRestart: string[] };
    assert.deepEqual(status.pendingRestart, ['discovery.zone']);
    assert.equal((await registry.list('registered'))[0]?.zone, 'local', 'the zone is not half-applied');
  } finally {
    await running.stop('test finished');
    await registry.close();
  }
});

const etcd = sharedEtcd();

test('FLOTILLA_<SERVICE>__DISCOVERY__BACKEND=etcd registers in etcd and deregisters on stop', {
  skip: 'skip' in etcd ? etcd.skip : false,
}, async () => {
  const endpoint = (etcd as { endpoint: string }).endpoint;
  const prefix = `/flotilla-svc-${randomBytes(4).toString('hex')}`;
  const dir = tempDir('service-etcd');
  dirs.push(dir);
  mkdirSync(join(dir.path, 'config', NAMESPACE), { recursive: true });
  const running = await registered.start({
    configDir: join(dir.path, 'config'),
    namespace: NAMESPACE,
    logDestination: captureLogs().stream,
    env: {
      ...listenerEnv(join(dir.path, 'home')),
      FLOTILLA_REGISTERED__DISCOVERY__BACKEND: 'etcd',
      FLOTILLA_REGISTERED__DISCOVERY__ETCD__ENDPOINTS: endpoint,
      FLOTILLA_REGISTERED__DISCOVERY__ETCD__PREFIX: prefix,
    },
  });
  const registry: Registry = new EtcdRegistry({ endpoints: [endpoint], prefix, namespace: NAMESPACE });
  try {
    assert.equal(running.context.discovery.registry.backend, 'etcd');
    const listed = await registry.list('registered');
    assert.deepEqual(
      listed.map((i) => i.ports.http),
      [Number(new URL(running.httpUrl!).port)],
    );
  } finally {
    await running.stop('test finished');
  }
  assert.deepEqual(await registry.list('registered'), []);
  await registry.close();
});

const kube = kubeconfigOrSkipReason();

test('FLOTILLA_<SERVICE>__DISCOVERY__BACKEND=kubernetes: registering writes nothing, peers come from EndpointSlices, stop drains at once', {
  skip: 'skip' in kube ? kube.skip : false,
}, async () => {
  const kubeconfig = (kube as { kubeconfig: string }).kubeconfig;
  const admin = clientFor(kubeconfig);
  const namespace = await createNamespace(admin, 'flotilla-svc');
  const dir = tempDir('service-kubernetes');
  dirs.push(dir);
  mkdirSync(join(dir.path, 'config', NAMESPACE), { recursive: true });
  const logs = captureLogs();
  try {
    // A peer, published as the EndpointSlice controller would.
    await admin.create(Resources.EndpointSlice, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'peer-a', namespace, labels: { 'kubernetes.io/service-name': 'peer' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.1.0.1'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'peer-1' } }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    } as never);
    const before = (await admin.list(Resources.EndpointSlice, namespace)).items.length;
    const running = await registered.start({
      configDir: join(dir.path, 'config'),
      namespace: NAMESPACE,
      logDestination: logs.stream,
      env: {
        ...listenerEnv(join(dir.path, 'home')),
        FLOTILLA_REGISTERED__DISCOVERY__BACKEND: 'kubernetes',
        FLOTILLA_REGISTERED__DISCOVERY__KUBERNETES__KUBECONFIG: kubeconfig,
        FLOTILLA_REGISTERED__DISCOVERY__KUBERNETES__NAMESPACE: namespace,
      },
    });
    try {
      const { discovery } = running.context;
      assert.equal(discovery.registry.backend, 'kubernetes');
      assert.equal(discovery.registration?.registration?.instance.service, 'registered');
      assert.equal((await admin.list(Resources.EndpointSlice, namespace)).items.length, before, 'no EndpointSlice written');
      // A pick throws until the balancer's watch has listed the peer.
      const target = await eventually(
        () => {
          const picked = discovery.http.pick('peer');
          picked.done({ ok: true });
          return picked.target;
        },
        { message: 'the peer to resolve through context.discovery' },
      );
      assert.equal(target, '10.1.0.1:8080');
    } finally {
      await running.stop('test finished');
    }
    const order = actions(logs).filter((a) => a === 'deregistered' || a === 'stopping');
    assert.deepEqual(order, ['deregistered', 'stopping'], 'out of discovery before /readyz turns 503 and the listeners drain');
  } finally {
    await deleteNamespace(admin, namespace);
    await admin.close();
  }
});
