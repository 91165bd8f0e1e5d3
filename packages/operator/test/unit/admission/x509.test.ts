// The certificates the webhook issues, read back by node:crypto and @peculiar/x509 and used
// in a real TLS handshake whose client trusts only the CA and checks the host name or address.

// Before @peculiar/x509, as in the module under test.
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createPrivateKey, KeyObject, webcrypto, X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { connect, createServer } from 'node:tls';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  X509Certificate as ParsedCertificate,
  SubjectKeyIdentifierExtension,
  X509CertificateGenerator,
} from '@peculiar/x509';
import { issueCertificate, splitPem } from '../../../src/admission/x509.ts';

const now = Date.now();
const ca = await issueCertificate({
  commonName: 'test CA',
  ca: true,
  notBefore: new Date(now - 60_000),
  notAfter: new Date(Date.UTC(2061, 0, 1)),
});
const serving = await issueCertificate({
  commonName: 'webhook',
  ca: false,
  hosts: ['webhook.flotilla-system.svc', '127.0.0.1', '::1'],
  notBefore: new Date(now - 60_000),
  notAfter: new Date(now + 3_600_000),
  issuer: ca,
});

test('a CA and a serving certificate it signs, with the extensions a TLS client checks', async () => {
  const authority = new X509Certificate(ca.certificate);
  const leaf = new X509Certificate(serving.certificate);
  assert.equal(authority.ca, true);
  assert.equal(authority.subject, 'CN=test CA');
  assert.ok(authority.verify(authority.publicKey), 'the CA signs itself');
  assert.equal(authority.validTo, 'Jan  1 00:00:00 2061 GMT', 'GeneralizedTime from 2050 on');
  assert.equal(leaf.ca, false);
  assert.equal(leaf.issuer, 'CN=test CA');
  assert.ok(leaf.checkIssued(authority) && leaf.verify(authority.publicKey));
  assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'serverAuth');
  assert.equal(leaf.subjectAltName, 'DNS:webhook.flotilla-system.svc, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  assert.equal(leaf.checkHost('webhook.flotilla-system.svc'), 'webhook.flotilla-system.svc');
  assert.equal(leaf.checkHost('other.flotilla-system.svc'), undefined);
  assert.ok(leaf.checkPrivateKey(createPrivateKey(serving.key)), "the key is the certificate's");
  assert.ok(!leaf.checkPrivateKey(createPrivateKey(ca.key)));
  const again = await issueCertificate({
    commonName: 'webhook',
    ca: false,
    notBefore: new Date(now),
    notAfter: new Date(now + 1000),
    issuer: ca,
  });
  assert.notEqual(new X509Certificate(again.certificate).serialNumber, leaf.serialNumber, 'random serial numbers');
});

test('EC P-256 keys as PKCS#8, ECDSA SHA-256 signatures, positive serials, critical constraints', () => {
  for (const issued of [ca, serving]) {
    assert.match(issued.key, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.equal(createPrivateKey(issued.key).asymmetricKeyDetails?.namedCurve, 'prime256v1');
    const certificate = new X509Certificate(issued.certificate);
    assert.equal(certificate.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    // hex without a sign, at most the 20 octets RFC 5280 allows
    assert.match(certificate.serialNumber, /^[0-9A-F]{2,40}$/);
    assert.deepEqual(new ParsedCertificate(issued.certificate).signatureAlgorithm, { name: 'ECDSA', hash: { name: 'SHA-256' } });
  }
  const authority = new ParsedCertificate(ca.certificate);
  const constraints = authority.getExtension(BasicConstraintsExtension);
  assert.deepEqual([constraints?.ca, constraints?.pathLength, constraints?.critical], [true, 0, true]);
  const usages = authority.getExtension(KeyUsagesExtension);
  assert.deepEqual(
    [usages?.usages, usages?.critical],
    [KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true],
  );
  const leaf = new ParsedCertificate(serving.certificate);
  const leafConstraints = leaf.getExtension(BasicConstraintsExtension);
  assert.deepEqual([leafConstraints?.ca, leafConstraints?.pathLength, leafConstraints?.critical], [false, undefined, true]);
  const leafUsages = leaf.getExtension(KeyUsagesExtension);
  assert.deepEqual([leafUsages?.usages, leafUsages?.critical], [KeyUsageFlags.digitalSignature, true]);
  assert.equal(
    leaf.getExtension(AuthorityKeyIdentifierExtension)?.keyId,
    authority.getExtension(SubjectKeyIdentifierExtension)?.keyId,
    "the leaf names the CA's key",
  );
});

test('a certificate names its issuer by the key identifier the issuer gives itself', async () => {
  // A CA whose key identifier is not the one this module would derive from its key.
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const foreign = await X509CertificateGenerator.createSelfSigned({
    name: 'CN=foreign CA',
    keys,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3_600_000),
    extensions: [
      new BasicConstraintsExtension(true, 0, true),
      new KeyUsagesExtension(KeyUsageFlags.keyCertSign, true),
      new SubjectKeyIdentifierExtension('0102030405'),
    ],
  });
  const issuer = {
    certificate: foreign.toString('pem'),
    key: KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }) as string,
  };
  const issued = await issueCertificate({
    commonName: 'webhook',
    ca: false,
    notBefore: new Date(now),
    notAfter: new Date(now + 60_000),
    issuer,
  });
  assert.equal(new ParsedCertificate(issued.certificate).getExtension(AuthorityKeyIdentifierExtension)?.keyId, '0102030405');
  const leaf = new X509Certificate(issued.certificate);
  const authority = new X509Certificate(issuer.certificate);
  assert.ok(leaf.checkIssued(authority) && leaf.verify(authority.publicKey));
});

test('splitPem returns each certificate of a bundle', () => {
  assert.deepEqual(splitPem(ca.certificate + serving.certificate), [ca.certificate, serving.certificate]);
  assert.deepEqual(splitPem(''), []);
});

test('a TLS client trusting only the CA completes a handshake by host name and by IP', async (t) => {
  const server = createServer({ cert: serving.certificate, key: serving.key }, (socket) => socket.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const handshake = (servername: string | undefined, checkName: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect({
        host: '127.0.0.1',
        port,
        ca: ca.certificate,
        ...(servername ? { servername } : {}),
        checkServerIdentity: (_host, cert) => {
          const leaf = new X509Certificate(cert.raw);
          return (leaf.checkHost(checkName) ?? leaf.checkIP(checkName)) ? undefined : new Error(`not valid for ${checkName}`);
        },
      });
      let data = '';
      socket.on('data', (chunk) => (data += chunk));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
  assert.equal(await handshake('webhook.flotilla-system.svc', 'webhook.flotilla-system.svc'), 'ok');
  assert.equal(await handshake(undefined, '127.0.0.1'), 'ok');
  const stranger = await issueCertificate({
    commonName: 'other CA',
    ca: true,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3_600_000),
  });
  await assert.rejects(
    new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca: stranger.certificate, servername: 'webhook.flotilla-system.svc' }, () =>
        resolve(undefined),
      );
      socket.on('error', reject);
    }),
    /unable to verify|self[- ]signed|certificate/i,
  );
});
