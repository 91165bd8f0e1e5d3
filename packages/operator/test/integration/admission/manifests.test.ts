// deploy/kubernetes/operator and its webhook/ folder: the webhook configuration says what
// the README promises and points where the operator serves; the API server accepts it
// (dry run); and the webhook does its whole job as the operator's ServiceAccount under
// exactly the RBAC given there.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Registry } from 'prom-client';
import { parseAllDocuments } from 'yaml';
import { isNotFound, KubeClient, type KubeObject, loadKubeconfig, Resources } from '@flotilla/kube';
import { clientFor, createNamespace, deleteNamespace, kubeconfigOrSkipReason, repoRoot, tempDir, type TempDir } from '@flotilla/testing';
import { MICROSERVICES_WEBHOOK_PATH, type RunningAdmission, startAdmission } from '../../../src/admission/admission.ts';
import { admissionOptionsFrom } from '../../../src/admission/command-line.ts';
import { installCrd, testLogger } from '../support/kube.ts';
import { kubectl } from '../../../../../scripts/test-services/kube.ts';
import { createWebhookConfiguration, deleteWebhookConfiguration, kubectlApply, microservice, waitForCaBundle } from './support.ts';

const operatorDir = join(repoRoot, 'deploy', 'kubernetes', 'operator');
const found = kubeconfigOrSkipReason();
const skip = 'skip' in found ? found.skip : false;
const kubeconfig = 'kubeconfig' in found ? found.kubeconfig : '';
let client: KubeClient;
let dir: TempDir;
let apps = '';
let admission: RunningAdmission | undefined;
let serviceAccountClient: KubeClient | undefined;

// biome-ignore lint/suspicious/noExplicitAny: reads manifests
type Manifest = Record<string, any>;

async function build(folder: string): Promise<Manifest[]> {
  const { stdout } = await kubectl(kubeconfig, 'kustomize', folder);
  return parseAllDocuments(stdout).map((document) => document.toJS() as Manifest);
}

before(async () => {
  if (skip) return;
  client = clientFor(kubeconfig);
  dir = tempDir('webhook-manifests');
});

after(async () => {
  if (skip) return;
  await admission?.stop();
  await serviceAccountClient?.close();
  await deleteWebhookConfiguration(client, 'flotilla-operator');
  await client.delete(Resources.Secret, 'flotilla-system', 'flotilla-operator-webhook-tls').catch((error: unknown) => {
    if (!isNotFound(error)) throw error;
  });
  if (apps) await deleteNamespace(client, apps);
  await client.close();
  dir.remove();
});

test('the webhook configuration: Ignore, no side effects, v1 reviews, a timeout, and the Service the operator serves behind', {
  skip,
}, async () => {
  const base = await build(operatorDir);
  const webhook = await build(join(operatorDir, 'webhook'));
  const configuration = webhook.find((object) => object.kind === 'ValidatingWebhookConfiguration')!;
  assert.equal(configuration.metadata.name, 'flotilla-operator', 'the name rbac.yaml lets the operator patch');
  const [hook] = configuration.webhooks;
  assert.equal(hook.failurePolicy, 'Ignore');
  assert.equal(hook.sideEffects, 'None');
  assert.deepEqual(hook.admissionReviewVersions, ['v1']);
  assert.ok(hook.timeoutSeconds >= 1 && hook.timeoutSeconds <= 10);
  assert.deepEqual(hook.rules[0].resources, ['microservices'], 'not microservices/status: the operator writes status freely');
  assert.equal(hook.clientConfig.caBundle, undefined, 'the operator writes it');
  assert.equal(hook.clientConfig.service.path, MICROSERVICES_WEBHOOK_PATH);

  const service = base.find((object) => object.kind === 'Service' && object.metadata.name === hook.clientConfig.service.name)!;
  assert.equal(service.metadata.namespace, hook.clientConfig.service.namespace);
  assert.equal(service.spec.ports[0].port, hook.clientConfig.service.port);
  const deployment = base.find((object) => object.kind === 'Deployment')!;
  assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
  const container = deployment.spec.template.spec.containers[0];
  const port = container.ports.find((p: Manifest) => p.name === service.spec.ports[0].targetPort);
  const env = Object.fromEntries(container.env.map((e: Manifest) => [e.name, e.value]));
  assert.equal(String(port.containerPort), env.FLOTILLA_OPERATOR_WEBHOOK_PORT);
  const options = admissionOptionsFrom({}, env, service.metadata.namespace)!;
  assert.ok(
    options.hosts.includes(`${service.metadata.name}.${service.metadata.namespace}.svc`),
    'the certificate names the host the API server calls',
  );
  assert.equal(options.webhookConfigurationName, configuration.metadata.name);

  await kubectl(kubeconfig, 'apply', '-f', join(operatorDir, 'namespace.yaml'));
  const { stdout } = await kubectl(kubeconfig, 'apply', '--dry-run=server', '-k', join(operatorDir, 'webhook'));
  assert.match(stdout, /validatingwebhookconfiguration\.admissionregistration\.k8s\.io\/flotilla-operator .*\(server dry run\)/);
});

test('the webhook works as the operator ServiceAccount under rbac.yaml and webhook/rbac.yaml', { skip }, async () => {
  await installCrd(client);
  await kubectl(
    kubeconfig,
    'apply',
    '-f',
    join(operatorDir, 'namespace.yaml'),
    '-f',
    join(operatorDir, 'rbac.yaml'),
    '-f',
    join(operatorDir, 'webhook', 'rbac.yaml'),
  );
  apps = await createNamespace(client, 'adm-rbac');
  serviceAccountClient = new KubeClient({
    ...loadKubeconfig(kubeconfig),
    impersonate: {
      user: 'system:serviceaccount:flotilla-system:flotilla-operator',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:flotilla-system', 'system:authenticated'],
    },
  });
  const options = admissionOptionsFrom({ 'webhook-port': '0', 'webhook-hosts': '127.0.0.1' }, {}, 'flotilla-system')!;
  admission = await startAdmission(
    { client: serviceAccountClient, log: testLogger(), registry: new Registry() },
    { ...options, host: '127.0.0.1' },
  );
  await createWebhookConfiguration(client, options.webhookConfigurationName, admission.port, apps);
  await waitForCaBundle(
    client,
    options.webhookConfigurationName,
    () => admission!.certificates().caBundle,
    'the CA bundle patched as the ServiceAccount',
  );

  const missing = await kubectlApply(
    kubeconfig,
    dir.path,
    microservice(apps, 'refs', {
      image: 'app:1',
      env: [{ name: 'DB', secretKeyRef: { name: 'db', key: 'url' } }],
      config: { configMapRef: { name: 'cm' } },
    }),
  );
  assert.equal(missing.ok, false, missing.output);
  assert.match(missing.output, /Secret "db" not found/);
  assert.match(missing.output, /ConfigMap "cm" not found/);
  assert.doesNotMatch(missing.output, /could not check|forbidden/i, 'the lookups are allowed');

  await client.create(Resources.Secret, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: apps },
    data: { url: 'eA==' },
  } as KubeObject);
  await client.create(Resources.ConfigMap, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cm', namespace: apps },
  } as KubeObject);
  const present = await kubectlApply(
    kubeconfig,
    dir.path,
    microservice(apps, 'refs', {
      image: 'app:1',
      env: [{ name: 'DB', secretKeyRef: { name: 'db', key: 'url' } }],
      config: { configMapRef: { name: 'cm' } },
    }),
  );
  assert.equal(present.ok, true, present.output);
});
