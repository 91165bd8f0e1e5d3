// The admission webhook served by a `flotilla operator` process, called by a real API
// server: it makes its certificates and publishes the CA bundle, denies Microservices that
// name what does not exist or a malformed image (kubectl shows why), admits good ones, and
// once the process is stopped the API server admits on schema and CEL alone.
import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { after, before, test } from 'node:test';
import { type KubeClient, type KubeObject, Resources } from '@flotilla/kube';
import { clientFor, createNamespace, deleteNamespace, eventually, kubeconfigOrSkipReason, tempDir, type TempDir } from '@flotilla/testing';
import { DatabaseResource, databaseCrd } from '../../../src/database/crd.ts';
import { MicroserviceResource } from '../../../src/microservice/crd.ts';
import { installCrd } from '../support/kube.ts';
import {
  createWebhookConfiguration,
  deleteWebhookConfiguration,
  kubectlApply,
  microservice,
  type OperatorProcess,
  servedCertificate,
  spawnOperator,
  waitForCaBundle,
} from './support.ts';

const found = kubeconfigOrSkipReason();
const skip = 'skip' in found ? found.skip : false;
const kubeconfig = 'kubeconfig' in found ? found.kubeconfig : '';
const configuration = `flotilla-webhook-test-${randomBytes(3).toString('hex')}`;
const secretName = 'webhook-tls';
let client: KubeClient;
let operatorNamespace = '';
let apps = '';
let dir: TempDir;
let operator: OperatorProcess | undefined;
let port = 0;

interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}
const decoded = (secret: Secret, key: string) => Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');

before(async () => {
  if (skip) return;
  client = clientFor(kubeconfig);
  dir = tempDir('webhook');
  await installCrd(client);
  await client.apply(Resources.CustomResourceDefinition, databaseCrd() as unknown as KubeObject);
  // The operator's controllers watch their own namespace; the webhook reviews `apps`.
  operatorNamespace = await createNamespace(client, 'adm-op');
  apps = await createNamespace(client, 'adm-apps');
  operator = spawnOperator(kubeconfig, operatorNamespace, configuration, secretName);
  port = await operator.port;
});

after(async () => {
  if (skip) return;
  if (operator && operator.child.exitCode === null && operator.child.signalCode === null) operator.child.kill('SIGKILL');
  await deleteWebhookConfiguration(client, configuration);
  for (const namespace of [apps, operatorNamespace]) if (namespace) await deleteNamespace(client, namespace);
  await client.close();
  dir.remove();
});

const apply = (...objects: object[]) => kubectlApply(kubeconfig, dir.path, ...objects);
// A denial is 422 Invalid with one cause per problem: kubectl words it like a schema error.
const denial = (name: string) => new RegExp(`The Microservice "${name}" is invalid: `);

test('the operator stores its certificates in a Secret and writes the CA bundle into the webhook configuration', { skip }, async () => {
  const secret = await client.get<Secret>(Resources.Secret, operatorNamespace, secretName);
  assert.equal(secret.type, 'kubernetes.io/tls');
  await createWebhookConfiguration(client, configuration, port, apps);
  await waitForCaBundle(client, configuration, () => decoded(secret, 'ca.crt'), 'the CA bundle in the webhook configuration');
  const served = await servedCertificate(port, decoded(secret, 'ca.crt'));
  assert.equal(served.serialNumber, new X509Certificate(decoded(secret, 'tls.crt')).serialNumber);
  assert.ok(served.checkIP('127.0.0.1'));
});

test('a Microservice naming a missing Secret, key, ConfigMap or Database, or a malformed image, is denied with the reason', {
  skip,
}, async () => {
  await client.create(Resources.Secret, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: apps },
    data: { url: 'eA==' },
  } as KubeObject);
  const cases: [string, Record<string, unknown>, string][] = [
    [
      'no-secret',
      { image: 'app:1', env: [{ name: 'DB', secretKeyRef: { name: 'missing', key: 'url' } }] },
      `spec.env[0].secretKeyRef.name: Secret "missing" not found in namespace "${apps}": create it first`,
    ],
    [
      'no-key',
      {
        image: 'app:1',
        env: [
          { name: 'A', value: 'x' },
          { name: 'DB', secretKeyRef: { name: 'db', key: 'password' } },
        ],
      },
      `spec.env[1].secretKeyRef.key: Secret "db" in namespace "${apps}" has no key "password"`,
    ],
    [
      'no-configmap',
      { image: 'app:1', config: { configMapRef: { name: 'settings' } } },
      `spec.config.configMapRef.name: ConfigMap "settings" not found in namespace "${apps}": create it first`,
    ],
    [
      'no-database',
      { image: 'app:1', database: { name: 'orders-db' } },
      `spec.database.name: Database "orders-db" not found in namespace "${apps}": create it first`,
    ],
    [
      'bad-image',
      { image: 'Registry.io:99999/app:1' },
      'spec.image: image "Registry.io:99999/app:1" is not a valid reference: the registry port "99999" must be a number from 1 to 65535',
    ],
    [
      'bad-digest',
      { image: 'app@sha256:1234' },
      'spec.image: image "app@sha256:1234" is not a valid reference: the sha256 digest must be 64 lower-case hex digits (got 4 characters: "1234")',
    ],
  ];
  for (const [name, spec, message] of cases) {
    const applied = await apply(microservice(apps, name, spec));
    assert.equal(applied.ok, false, `${name} was admitted: ${applied.output}`);
    assert.match(applied.output, denial(name));
    assert.ok(applied.output.includes(message), `${name}: ${applied.output}`);
  }
  const several = await apply(
    microservice(apps, 'several', {
      image: 'UPPER',
      env: [{ name: 'DB', secretKeyRef: { name: 'gone', key: 'k' } }],
      database: { name: 'nope' },
    }),
  );
  assert.match(
    several.output,
    /\* spec\.image: .*\n\* spec\.env\[0\]\.secretKeyRef\.name: .*\n\* spec\.database\.name: /,
    'every problem, in spec order',
  );
  const stored = await client.list(MicroserviceResource, apps);
  assert.deepEqual(stored.items, [], 'nothing denied was stored');
});

test('good Microservices are admitted; an unpinned image gets a warning', { skip }, async () => {
  await client.create(Resources.ConfigMap, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings', namespace: apps },
  } as KubeObject);
  await client.create(DatabaseResource, {
    apiVersion: 'flotilla.dev/v1alpha1',
    kind: 'Database',
    metadata: { name: 'orders-db', namespace: apps },
    spec: { engine: 'postgresql', server: { secretRef: { name: 'pg-admin' } }, databaseName: 'orders' },
  } as KubeObject);
  const good = await apply(
    microservice(apps, 'orders', {
      image: `registry.example.com:5000/flotilla/orders:0.1.0@sha256:${'ab'.repeat(32)}`,
      env: [{ name: 'DB', secretKeyRef: { name: 'db', key: 'url' } }],
      config: { configMapRef: { name: 'settings' } },
      database: { name: 'orders-db' },
    }),
  );
  assert.equal(good.ok, true, good.output);
  assert.match(good.output, /microservice\.flotilla\.dev\/orders created/);
  const unpinned = await apply(microservice(apps, 'latest', { image: 'flotilla/greeter' }));
  assert.equal(unpinned.ok, true, unpinned.output);
  assert.match(unpinned.output, /Warning: spec\.image "flotilla\/greeter" names no fixed version/);
});

test('an update is checked for what it changes: a Secret deleted since does not block an unrelated edit', { skip }, async () => {
  await client.delete(Resources.Secret, apps, 'db');
  const scaled = await apply(
    microservice(apps, 'orders', {
      image: `registry.example.com:5000/flotilla/orders:0.1.0@sha256:${'ab'.repeat(32)}`,
      replicas: 3,
      env: [{ name: 'DB', secretKeyRef: { name: 'db', key: 'url' } }],
      config: { configMapRef: { name: 'settings' } },
      database: { name: 'orders-db' },
    }),
  );
  assert.equal(scaled.ok, true, scaled.output);
  const retagged = await apply(
    microservice(apps, 'orders', {
      image: 'flotilla/orders:-bad',
      replicas: 3,
      env: [{ name: 'DB', secretKeyRef: { name: 'db', key: 'url' } }],
      config: { configMapRef: { name: 'settings' } },
      database: { name: 'orders-db' },
    }),
  );
  assert.match(retagged.output, /spec\.image: image "flotilla\/orders:-bad" is not a valid reference: the tag "-bad"/);
});

test('the operator stopped (SIGTERM, exits 0): the API server admits on schema and CEL alone, as failurePolicy Ignore says', {
  skip,
}, async () => {
  operator!.child.kill('SIGTERM');
  assert.equal(await operator!.exited, 0, 'a clean shutdown');
  await assert.rejects(servedCertificate(port, ''), /ECONNREFUSED/, 'nothing listens any more');
  const admitted = await apply(
    microservice(apps, 'unchecked', { image: 'app:1', env: [{ name: 'DB', secretKeyRef: { name: 'missing', key: 'k' } }] }),
  );
  assert.equal(admitted.ok, true, `not blocked: ${admitted.output}`);
  const celStill = await apply(microservice(apps, 'still-cel', { image: 'app:1', replicas: 1, autoscaling: { maxReplicas: 2 } }));
  assert.equal(celStill.ok, false);
  assert.match(celStill.output, /set either spec\.replicas or spec\.autoscaling, not both/);
  await eventually(async () => (await client.get(MicroserviceResource, apps, 'unchecked')).metadata.name === 'unchecked', {
    message: 'the unchecked Microservice stored',
  });
});
