// The Microservice CRD's CEL rules and defaults on a real API server: what `kubectl apply`
// tells a user about a bad Microservice, and what a minimal one is stored as.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { KubeClient } from '@flotilla/kube';
import { clientFor, createNamespace, deleteNamespace, kubeconfigOrSkipReason, tempDir, type TempDir } from '@flotilla/testing';
import { MicroserviceResource, microserviceCrd } from '../../../src/microservice/crd.ts';
import type { Microservice } from '../../../src/microservice/types.ts';
import { installCrd } from '../support/kube.ts';
import { kubectlApply, microservice } from './support.ts';

const found = kubeconfigOrSkipReason();
const skip = 'skip' in found ? found.skip : false;
const kubeconfig = 'kubeconfig' in found ? found.kubeconfig : '';
let client: KubeClient;
let namespace = '';
let dir: TempDir;

before(async () => {
  if (skip) return;
  client = clientFor(kubeconfig);
  dir = tempDir('cel');
  await installCrd(client);
  namespace = await createNamespace(client, 'cel');
});

after(async () => {
  if (skip) return;
  if (namespace) await deleteNamespace(client, namespace);
  await client.close();
  dir.remove();
});

/** Applies a Microservice that must be refused, and returns what kubectl printed. */
async function refused(name: string, spec: Record<string, unknown>): Promise<string> {
  const applied = await kubectlApply(kubeconfig, dir.path, microservice(namespace, name, spec));
  assert.equal(applied.ok, false, `${name} should be refused, kubectl said: ${applied.output}`);
  assert.match(applied.output, new RegExp(`The Microservice "${name.replace('.', '\\.')}" is invalid`));
  return applied.output;
}

test('each cross-field rule refuses with its own message', { skip }, async () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      'both',
      { image: 'app:1', replicas: 2, autoscaling: { maxReplicas: 3 } },
      /spec\.replicas: Forbidden: set either spec\.replicas or spec\.autoscaling, not both: with autoscaling the HorizontalPodAutoscaler owns the replica count/,
    ],
    [
      'min-max',
      { image: 'app:1', autoscaling: { minReplicas: 5, maxReplicas: 3 } },
      /spec\.autoscaling\.minReplicas: Invalid value: "object": spec\.autoscaling\.minReplicas must not be greater than spec\.autoscaling\.maxReplicas/,
    ],
    [
      'same-ports',
      { image: 'app:1', ports: { http: 8080, grpc: 8080 } },
      /spec\.ports\.grpc: Invalid value: "object": spec\.ports\.http and spec\.ports\.grpc must differ: each port needs its own number/,
    ],
    [
      'default-port',
      { image: 'app:1', ports: { metrics: 8080 } },
      /spec\.ports\.http and spec\.ports\.metrics must differ: each port needs its own number \(http is 8080 unless set\)/,
    ],
    ['grpc-metrics', { image: 'app:1', ports: { grpc: 9000, metrics: 9000 } }, /spec\.ports\.grpc and spec\.ports\.metrics must differ/],
    [
      'recreate',
      { image: 'app:1', rollout: { strategy: 'Recreate', maxSurge: '1' } },
      /spec\.rollout: Forbidden: spec\.rollout\.maxSurge and spec\.rollout\.maxUnavailable apply only to the RollingUpdate strategy/,
    ],
    [
      'stuck-rollout',
      { image: 'app:1', rollout: { maxSurge: '0%', maxUnavailable: '0' } },
      /spec\.rollout\.maxUnavailable: .*cannot both be 0: the rollout could never replace a Pod/,
    ],
    [
      'twice',
      {
        image: 'app:1',
        env: [
          { name: 'A', value: '1' },
          { name: 'A', value: '2' },
        ],
      },
      /spec\.env: Invalid value: "array": spec\.env names must be unique/,
    ],
    [
      'neither',
      { image: 'app:1', env: [{ name: 'A' }] },
      /spec\.env\[0\]: Invalid value: "object": set exactly one of value and secretKeyRef/,
    ],
    ['dotted.name', { image: 'app:1' }, /metadata\.name must be a DNS-1035 label .*: it names the Service/],
  ];
  for (const [name, spec, message] of cases) assert.match(await refused(name, spec), message, name);
});

test('one apply with several mistakes lists every message', { skip }, async () => {
  const output = await refused('many', {
    image: 'app:1',
    replicas: 1,
    autoscaling: { minReplicas: 4, maxReplicas: 2 },
    ports: { http: 9000, grpc: 9000 },
  });
  for (const message of [/spec\.replicas: Forbidden/, /spec\.autoscaling\.minReplicas: Invalid value/, /spec\.ports\.grpc: Invalid value/])
    assert.match(output, message);
});

// biome-ignore lint/suspicious/noExplicitAny: looks into the generated schema
const specSchema = (microserviceCrd() as any).spec.versions[0].schema.openAPIV3Schema.properties.spec;
const noDatabaseField = specSchema.properties.database ? false : 'the CRD has no spec.database';

test('spec.database.name cannot be changed once set', { skip: skip || noDatabaseField }, async () => {
  const applied = await kubectlApply(
    kubeconfig,
    dir.path,
    microservice(namespace, 'bound', { image: 'app:1', database: { name: 'first' } }),
  );
  assert.equal(applied.ok, true, applied.output);
  const changed = await kubectlApply(
    kubeconfig,
    dir.path,
    microservice(namespace, 'bound', { image: 'app:1', database: { name: 'second' } }),
  );
  assert.equal(changed.ok, false);
  assert.match(changed.output, /spec\.database\.name: Invalid value: "object": spec\.database\.name cannot be changed/);
  const unchanged = await kubectlApply(
    kubeconfig,
    dir.path,
    microservice(namespace, 'bound', { image: 'app:2', database: { name: 'first' } }),
  );
  assert.equal(unchanged.ok, true, unchanged.output);
});

test('a minimal Microservice is stored with the schema defaults filled in', { skip }, async () => {
  const applied = await kubectlApply(kubeconfig, dir.path, microservice(namespace, 'minimal', { image: 'flotilla/greeter:1' }));
  assert.equal(applied.ok, true, applied.output);
  const stored = await client.get<Microservice>(MicroserviceResource, namespace, 'minimal');
  assert.deepEqual(stored.spec, {
    image: 'flotilla/greeter:1',
    ports: { http: 8080 },
    config: { namespace: 'dev' },
    probes: {},
    rollout: { strategy: 'RollingUpdate' },
    shutdown: { preStopDelaySeconds: 5, terminationGracePeriodSeconds: 30 },
  });
  assert.equal(stored.spec.replicas, undefined, 'no replicas default: the Deployment gets 1');
  const nested = await kubectlApply(
    kubeconfig,
    dir.path,
    microservice(namespace, 'scaled', { image: 'flotilla/greeter:1', autoscaling: { maxReplicas: 4 }, probes: { liveness: {} } }),
  );
  assert.equal(nested.ok, true, nested.output);
  const scaled = await client.get<Microservice>(MicroserviceResource, namespace, 'scaled');
  assert.deepEqual(scaled.spec.autoscaling, { minReplicas: 1, maxReplicas: 4, targetCPUUtilizationPercentage: 80 });
  assert.deepEqual(scaled.spec.probes?.liveness, { path: '/healthz', initialDelaySeconds: 0, periodSeconds: 10, failureThreshold: 3 });
});
