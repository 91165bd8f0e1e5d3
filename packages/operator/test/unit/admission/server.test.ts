// The webhook's HTTPS server on 127.0.0.1: AdmissionReviews in and out, clear refusals of
// anything else, and a certificate swapped while connections are open.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { Agent, request } from 'node:https';
import { after, before, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { planCertificates, type WebhookCertificates } from '../../../src/admission/certificate-plan.ts';
import { createAdmissionMetrics } from '../../../src/admission/metrics.ts';
import { allow, deny } from '../../../src/admission/review.ts';
import { AdmissionServer } from '../../../src/admission/server.ts';

const issue = async (hosts: string[], stored?: WebhookCertificates) =>
  (
    await planCertificates(stored, {
      now: new Date(),
      hosts,
      caLifetimeMs: 100 * 3_600_000,
      servingLifetimeMs: 3_600_000,
      commonName: 'test',
      currentCaPublished: true,
    })
  ).certificates;

const first = await issue(['127.0.0.1']);
const registry = new Registry();
let server: AdmissionServer;
const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: first.caBundle });

before(async () => {
  server = await AdmissionServer.start(
    {
      host: '127.0.0.1',
      port: 0,
      handlers: {
        '/validate/things': async (req) =>
          req.name === 'bad' ? deny(req, [{ field: 'spec.x', reason: 'FieldValueInvalid', message: 'no' }]) : allow(req),
      },
      log: pino({ level: 'silent' }),
      metrics: createAdmissionMetrics(registry),
    },
    first,
  );
});

after(async () => {
  agent.destroy();
  await server.stop();
});

interface Answer {
  status: number;
  body: string;
  headers: Record<string, unknown>;
  serial: string;
}

function post(path: string, body: string, method = 'POST', via: Agent = agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path, method, agent: via, headers: { 'content-type': 'application/json' } },
      (res) => {
        // Read now: at the end a kept-alive socket is back in the pool.
        const serial = (res.socket as TLSSocket).getPeerCertificate().serialNumber;
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers, serial }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const review = (name: string) =>
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${name}`,
      kind: { group: 'flotilla.dev', version: 'v1alpha1', kind: 'Microservice' },
      resource: { group: 'flotilla.dev', version: 'v1alpha1', resource: 'microservices' },
      operation: 'CREATE',
      name,
      namespace: 'ns',
    },
  });

test('an AdmissionReview is answered with its uid; the API server query (?timeout=5s) is ignored', async () => {
  const allowed = await post('/validate/things?timeout=5s', review('good'));
  assert.equal(allowed.status, 200);
  assert.deepEqual(JSON.parse(allowed.body).response, { uid: 'uid-good', allowed: true });
  const denied = JSON.parse((await post('/validate/things', review('bad'))).body);
  assert.equal(denied.response.allowed, false);
  assert.equal(denied.response.status.message, 'spec.x: no');
  const metrics = await registry.getSingleMetricAsString('flotilla_admission_reviews_total');
  assert.match(metrics, /allowed="false"\} 1/);
  assert.match(metrics, /allowed="true"\} 1/);
});

test('anything else is refused with a status and a reason', async () => {
  const cases: [string, string, string, number, RegExp][] = [
    ['/elsewhere', 'POST', review('x'), 404, /no webhook at \/elsewhere/],
    ['/validate/things', 'PUT', review('x'), 405, /POSTed/],
    ['/validate/things', 'POST', '{not json', 400, /not JSON/],
    ['/validate/things', 'POST', '{"kind":"Pod"}', 400, /not an AdmissionReview/],
    [
      '/validate/things',
      'POST',
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview' }),
      400,
      /only admission.k8s.io\/v1/,
    ],
  ];
  for (const [path, method, body, status, message] of cases) {
    const answer = await post(path, body, method);
    assert.equal(answer.status, status, `${method} ${path} ${body}`);
    assert.match(answer.body, message);
  }
  // On a connection of its own: the server stops reading it.
  const once = new Agent({ keepAlive: false, ca: first.caBundle });
  const tooBig = await post('/validate/things', `"${'x'.repeat(9 << 20)}"`, 'POST', once).catch((error: unknown) => error);
  once.destroy();
  assert.ok(tooBig instanceof Error || (tooBig as Answer).status === 413, String(tooBig));
});

test('a new certificate is served to new connections; a connection made with the old one is closed after its answer', async () => {
  const before = await post('/validate/things', review('good'));
  assert.equal(before.serial, new X509Certificate(first.certificate).serialNumber);
  // A new host: the same CA issues a new serving certificate.
  const renewed = await issue(['127.0.0.1', 'localhost'], first);
  assert.equal(renewed.caBundle, first.caBundle);
  assert.notEqual(renewed.certificate, first.certificate);
  server.useCertificate(renewed);
  // The kept-alive socket still has the old certificate: this answer tells the client to close it.
  const onOld = await post('/validate/things', review('good'));
  assert.equal(onOld.serial, before.serial);
  assert.equal(onOld.headers.connection, 'close');
  const onNew = await post('/validate/things', review('good'));
  assert.equal(onNew.serial, new X509Certificate(renewed.certificate).serialNumber);
  assert.equal(onNew.status, 200);
});
