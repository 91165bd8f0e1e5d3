import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admissionOptionsFrom } from '../../../src/admission/command-line.ts';

test('the webhook is off without a port', () => {
  assert.equal(admissionOptionsFrom({}, {}, 'flotilla-system'), undefined);
  assert.equal(admissionOptionsFrom({}, { FLOTILLA_OPERATOR_WEBHOOK_PORT: '' }, 'flotilla-system'), undefined);
});

test('defaults: the Service names in the certificate, the Secret and configuration names of deploy/kubernetes/operator', () => {
  assert.deepEqual(admissionOptionsFrom({}, { FLOTILLA_OPERATOR_WEBHOOK_PORT: '9443' }, 'flotilla-system'), {
    port: 9443,
    webhookConfigurationName: 'flotilla-operator',
    secretNamespace: 'flotilla-system',
    secretName: 'flotilla-operator-webhook-tls',
    hosts: ['flotilla-operator-webhook.flotilla-system.svc', 'flotilla-operator-webhook.flotilla-system.svc.cluster.local'],
    servingCertificateLifetimeMs: 30 * 24 * 3_600_000,
  });
});

test('flags win over the environment; extra hosts; bad numbers are refused', () => {
  const options = admissionOptionsFrom(
    { 'webhook-port': '8443', 'webhook-service': 'hook', 'webhook-hosts': '127.0.0.1, hook.example', 'webhook-cert-days': '2' },
    { FLOTILLA_OPERATOR_WEBHOOK_PORT: '9443' },
    'ops',
  );
  assert.equal(options?.port, 8443);
  assert.deepEqual(options?.hosts, ['hook.ops.svc', 'hook.ops.svc.cluster.local', '127.0.0.1', 'hook.example']);
  assert.equal(options?.servingCertificateLifetimeMs, 2 * 24 * 3_600_000);
  assert.equal(admissionOptionsFrom({ 'webhook-port': '0' }, {}, 'ops')?.port, 0, 'any free port');
  assert.throws(
    () => admissionOptionsFrom({ 'webhook-port': 'x' }, {}, 'ops'),
    /--webhook-port must be a port number from 0 to 65535 \(got "x"\)/,
  );
  assert.throws(() => admissionOptionsFrom({ 'webhook-port': '70000' }, {}, 'ops'), /--webhook-port must be a port number/);
  assert.throws(() => admissionOptionsFrom({ 'webhook-port': '1', 'webhook-cert-days': '0' }, {}, 'ops'), /--webhook-cert-days/);
});
