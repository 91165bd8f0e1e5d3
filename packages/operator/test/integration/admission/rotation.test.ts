// Certificate rotation against a real API server, with lifetimes of seconds so that each
// renewal is a fact to wait for: the serving certificate is renewed before it expires and
// the API server's next call meets the new one; the CA is renewed with both CAs published,
// the serving certificate moves to the new CA, and the old CA leaves the bundle once expired.
// Every step is proven by a denial the API server could only get from the webhook.
import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { type KubeClient, type KubeObject, loadKubeconfig, Resources } from '@flotilla/kube';
import {
  captureLogs,
  clientFor,
  createNamespace,
  deleteNamespace,
  eventually,
  kubeconfigOrSkipReason,
  tempDir,
  type TempDir,
} from '@flotilla/testing';
import type { WebhookCertificates } from '../../../src/admission/certificate-plan.ts';
import { splitPem } from '../../../src/admission/x509.ts';
import { startOperator, type RunningOperator } from '../../../src/operator.ts';
import { installCrd } from '../support/kube.ts';
import {
  createWebhookConfiguration,
  deleteWebhookConfiguration,
  kubectlApply,
  microservice,
  servedCertificate,
  waitForCaBundle,
} from './support.ts';

const SERVING_LIFETIME_MS = 9_000;
const CA_LIFETIME_MS = 24_000;

const found = kubeconfigOrSkipReason();
const skip = 'skip' in found ? found.skip : false;
const kubeconfig = 'kubeconfig' in found ? found.kubeconfig : '';
const configuration = `flotilla-rotation-test-${randomBytes(3).toString('hex')}`;
const logs = captureLogs();
let client: KubeClient;
let operatorNamespace = '';
let apps = '';
let dir: TempDir;
let operator: RunningOperator | undefined;

before(async () => {
  if (skip) return;
  client = clientFor(kubeconfig);
  dir = tempDir('rotation');
  await installCrd(client);
  operatorNamespace = await createNamespace(client, 'rot-op');
  apps = await createNamespace(client, 'rot-apps');
  operator = await startOperator({
    connection: loadKubeconfig(kubeconfig),
    log: pino({ level: 'debug' }, logs.stream),
    namespace: operatorNamespace,
    leaseNamespace: operatorNamespace,
    admission: {
      port: 0,
      host: '127.0.0.1',
      hosts: ['127.0.0.1'],
      webhookConfigurationName: configuration,
      secretNamespace: operatorNamespace,
      secretName: 'webhook-tls',
      servingCertificateLifetimeMs: SERVING_LIFETIME_MS,
      caCertificateLifetimeMs: CA_LIFETIME_MS,
      checkIntervalMs: 200,
    },
  });
  await createWebhookConfiguration(client, configuration, operator.admission!.port, apps);
  await waitForCaBundle(client, configuration, current('caBundle'), 'the first CA bundle');
});

after(async () => {
  if (skip) return;
  await operator?.stop();
  await deleteWebhookConfiguration(client, configuration);
  for (const namespace of [apps, operatorNamespace]) if (namespace) await deleteNamespace(client, namespace);
  await client.close();
  dir.remove();
});

const current =
  (field: keyof WebhookCertificates): (() => string) =>
  () =>
    operator!.admission!.certificates()[field];
const serialOf = (pem: string) => new X509Certificate(pem).serialNumber;
const issuedBy = (pem: string, caPem: string) => {
  const leaf = new X509Certificate(pem);
  const ca = new X509Certificate(caPem);
  return leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
};

let attempt = 0;
/** A Microservice naming a missing Secret is denied; returns the serial of the certificate the API server's connection met. */
async function deniedThroughWebhook(): Promise<string> {
  const name = `probe-${++attempt}`;
  const applied = await kubectlApply(
    kubeconfig,
    dir.path,
    microservice(apps, name, { image: 'app:1', env: [{ name: 'X', secretKeyRef: { name: 'missing', key: 'k' } }] }),
  );
  assert.equal(applied.ok, false, `${name} admitted: the API server could not use the webhook (${applied.output})`);
  assert.match(applied.output, /Secret "missing" not found/);
  const review = logs.lines.find((line) => line['event.action'] === 'admission-review' && line.name === name);
  assert.ok(review, `the webhook logged reviewing ${name}`);
  return review['tls.server.x509.serial_number'] as string;
}

/**
 * Probes until the API server's call met a certificate `wanted` accepts: every probe must be
 * denied (a call that failed would have been admitted), and a connection made with an older
 * certificate is closed after its answer, so a second probe at most is needed.
 */
async function untilServedWith(wanted: (serial: string) => boolean, what: string): Promise<void> {
  const seen: string[] = [];
  for (let probe = 0; probe < 3; probe++) {
    seen.push(await deniedThroughWebhook());
    if (wanted(seen.at(-1)!)) return;
  }
  assert.fail(`the API server never met ${what}: it was served ${seen.join(', ')}`);
}

test('the serving certificate is renewed before it expires, and the API server calls the webhook with the new one', { skip }, async () => {
  const first = serialOf(current('certificate')());
  assert.equal((await servedCertificate(operator!.admission!.port, current('caBundle')())).serialNumber, first);
  assert.equal(await deniedThroughWebhook(), first);
  const expiry = Date.parse(new X509Certificate(current('certificate')()).validTo);

  await eventually(() => serialOf(current('certificate')()) !== first, {
    timeoutMs: 4 * SERVING_LIFETIME_MS,
    intervalMs: 50,
    message: 'a renewed serving certificate',
  });
  assert.ok(Date.now() < expiry, 'renewed before the old one expired');
  const renewed = current('certificate')();
  assert.ok(issuedBy(renewed, splitPem(current('caBundle')())[0]!), 'by the same CA');
  const secret = await client.get<KubeObject & { data: Record<string, string> }>(Resources.Secret, operatorNamespace, 'webhook-tls');
  assert.ok(
    [renewed, current('certificate')()].includes(Buffer.from(secret.data['tls.crt']!, 'base64').toString('utf8')),
    'stored in the Secret',
  );
  await untilServedWith((serial) => serial !== first, 'a renewed certificate');
});

test('the CA is renewed: both CAs are published, serving moves to the new CA, the old CA leaves once expired', { skip }, async () => {
  const firstCa = splitPem(current('caBundle')())[0]!;
  const oldCaSerials = new Set<string>();
  await eventually(
    () => {
      const certificates = operator!.admission!.certificates();
      if (issuedBy(certificates.certificate, firstCa)) oldCaSerials.add(serialOf(certificates.certificate));
      return splitPem(certificates.caBundle)[0] !== firstCa;
    },
    { timeoutMs: 2 * CA_LIFETIME_MS, intervalMs: 20, message: 'a renewed CA' },
  );
  const [newCa, previous] = splitPem(current('caBundle')());
  assert.equal(previous, firstCa, 'the old CA stays trusted beside the new one');
  await waitForCaBundle(client, configuration, current('caBundle'), 'both CAs in the webhook configuration');

  await eventually(() => issuedBy(current('certificate')(), newCa!), {
    timeoutMs: 2 * SERVING_LIFETIME_MS,
    intervalMs: 20,
    message: 'a serving certificate from the new CA',
  });
  await untilServedWith((serial) => !oldCaSerials.has(serial), 'a certificate of the new CA');

  await eventually(() => splitPem(current('caBundle')()).length === 1, {
    timeoutMs: 2 * CA_LIFETIME_MS,
    intervalMs: 50,
    message: 'the expired CA to leave the bundle',
  });
  assert.equal(splitPem(current('caBundle')())[0], newCa);
  await waitForCaBundle(client, configuration, current('caBundle'), 'the bundle without the expired CA');
  await deniedThroughWebhook();
});
