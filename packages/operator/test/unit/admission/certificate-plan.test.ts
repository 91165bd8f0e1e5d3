// When the webhook's certificates are issued, renewed and moved to a new CA.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { type PlanOptions, planCertificates, type WebhookCertificates } from '../../../src/admission/certificate-plan.ts';
import { splitPem } from '../../../src/admission/x509.ts';

const HOUR = 3_600_000;
const start = new Date('2030-01-01T00:00:00Z');
const at = (ms: number) => new Date(start.getTime() + ms);
const options = (now: Date, more: Partial<PlanOptions> = {}): PlanOptions => ({
  now,
  hosts: ['webhook.flotilla-system.svc', '127.0.0.1'],
  caLifetimeMs: 300 * HOUR,
  servingLifetimeMs: 30 * HOUR,
  commonName: 'webhook',
  currentCaPublished: true,
  ...more,
});
const serial = (pem: string) => new X509Certificate(pem).serialNumber;
const issuedBy = (certificate: string, ca: string) => {
  const leaf = new X509Certificate(certificate);
  const authority = new X509Certificate(ca);
  return leaf.checkIssued(authority) && leaf.verify(authority.publicKey);
};

async function bootstrap(): Promise<WebhookCertificates> {
  const plan = await planCertificates(undefined, options(start));
  assert.deepEqual(plan.issued, ['ca', 'serving']);
  assert.equal(plan.changed, true);
  return plan.certificates;
}

test('first run: a CA and a serving certificate it signed, valid for the hosts', async () => {
  const certificates = await bootstrap();
  const [ca, ...rest] = splitPem(certificates.caBundle);
  assert.equal(rest.length, 0);
  assert.ok(issuedBy(certificates.certificate, ca!));
  const serving = new X509Certificate(certificates.certificate);
  assert.ok(serving.checkHost('webhook.flotilla-system.svc') && serving.checkIP('127.0.0.1'));
  assert.equal(Date.parse(serving.validTo), at(30 * HOUR).getTime());
});

test('nothing is issued while both are fresh', async () => {
  const certificates = await bootstrap();
  const plan = await planCertificates(certificates, options(at(19 * HOUR)));
  assert.deepEqual(plan.issued, []);
  assert.equal(plan.changed, false);
  assert.deepEqual(plan.certificates, certificates);
});

test('the serving certificate is renewed with a third of its lifetime left, by the same CA', async () => {
  const certificates = await bootstrap();
  const plan = await planCertificates(certificates, options(at(20 * HOUR)));
  assert.deepEqual(plan.issued, ['serving']);
  assert.equal(plan.certificates.caBundle, certificates.caBundle);
  assert.notEqual(serial(plan.certificates.certificate), serial(certificates.certificate));
  assert.ok(issuedBy(plan.certificates.certificate, certificates.caBundle));
});

test('a shorter configured lifetime or a new host renews the serving certificate at once', async () => {
  const certificates = await bootstrap();
  assert.deepEqual((await planCertificates(certificates, options(at(HOUR), { servingLifetimeMs: 10 * HOUR }))).issued, ['serving']);
  const moved = await planCertificates(certificates, options(at(HOUR), { hosts: ['webhook.flotilla-system.svc', '127.0.0.2'] }));
  assert.deepEqual(moved.issued, ['serving']);
  assert.ok(new X509Certificate(moved.certificates.certificate).checkIP('127.0.0.2'));
});

test('a serving key that does not match its certificate is replaced', async () => {
  const certificates = await bootstrap();
  const other = (await planCertificates(undefined, options(start))).certificates;
  assert.deepEqual((await planCertificates({ ...certificates, key: other.key }, options(at(HOUR)))).issued, ['serving']);
});

test('CA renewal: both CAs trusted, serving moves to the new CA only once it is published', async () => {
  const first = await bootstrap();
  // Two thirds into the CA's life the CA is renewed; the serving certificate, due too, still
  // comes from the old CA, which the API server already trusts.
  const renewal = await planCertificates(first, options(at(200 * HOUR)));
  assert.deepEqual(renewal.issued, ['ca', 'serving']);
  const [newCa, oldCa] = splitPem(renewal.certificates.caBundle);
  assert.equal(oldCa, first.caBundle);
  assert.ok(issuedBy(renewal.certificates.certificate, oldCa!), 'signed by the CA the API server trusts');
  assert.ok(!issuedBy(renewal.certificates.certificate, newCa!));

  // The API server does not have the new CA yet: keep serving what it can verify.
  const waiting = await planCertificates(renewal.certificates, options(at(201 * HOUR), { currentCaPublished: false }));
  assert.deepEqual(waiting.issued, []);

  // Published: the serving certificate moves to the new CA; the old CA stays in the bundle.
  const moved = await planCertificates(renewal.certificates, options(at(201 * HOUR)));
  assert.deepEqual(moved.issued, ['serving']);
  assert.ok(issuedBy(moved.certificates.certificate, newCa!));
  assert.equal(moved.certificates.caBundle, renewal.certificates.caBundle);

  // Once the old CA has expired it leaves the bundle.
  const pruned = await planCertificates(moved.certificates, options(at(301 * HOUR)));
  assert.deepEqual(splitPem(pruned.certificates.caBundle), [newCa]);
  assert.equal(pruned.changed, true);
});

test('a CA whose key is lost is replaced, and the serving certificate with it', async () => {
  const certificates = await bootstrap();
  const other = (await planCertificates(undefined, options(start))).certificates;
  const plan = await planCertificates({ ...certificates, caKey: other.caKey }, options(at(HOUR)));
  assert.deepEqual(plan.issued, ['ca', 'serving']);
  assert.equal(splitPem(plan.certificates.caBundle).length, 1, 'an unusable CA is not kept');
  assert.ok(issuedBy(plan.certificates.certificate, plan.certificates.caBundle));
});

test('garbage in the Secret is replaced by a fresh pair', async () => {
  const plan = await planCertificates({ caBundle: 'junk', caKey: 'junk', certificate: 'junk', key: 'junk' }, options(start));
  assert.deepEqual(plan.issued, ['ca', 'serving']);
});
