/**
 * Discovery against an etcd that serves TLS and checks client certificates
 * (a private etcd on certificates made by openssl for this run): with the CA,
 * client certificate and key from the settings it registers, lists and
 * watches over https://.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Value from 'typebox/value';
import { eventually, sharedEtcd, tempDir } from '@flotilla/testing';
import { launch, type ManagedProcess } from '../../../../../scripts/test-services/lib/proc.ts';
import { waitUntilReady, withFreePorts } from '../../../../../scripts/test-services/lib/ready.ts';
import { createRegistry, DiscoveryConfig, type DiscoverySettings } from '../../../src/create-registry.ts';
import type { Registry } from '../../../src/types.ts';
import { EtcdAdmin } from './etcd-admin.ts';

const etcdAvailable = sharedEtcd(); // the private etcd is the harness's binary

interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
  serverCert: string;
  serverKey: string;
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
function makeCertificates(dir: string): TlsFiles {
  const file = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'pipe' });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ecKey, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '1', '-subj', '/CN=flotilla-test-ca');
  const sign = (name: string, extensions: string): void => {
    openssl('req', ...ecKey, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', `/CN=${name}`);
    writeFileSync(file(`${name}.ext`), extensions);
    openssl(
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-out',
      file(`${name}.pem`),
      '-days',
      '1',
      '-extfile',
      file(`${name}.ext`),
    );
  };
  sign('server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  sign('client', 'extendedKeyUsage=clientAuth\n');
  return {
    caFile: file('ca.pem'),
    certFile: file('client.pem'),
    keyFile: file('client.key'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
  };
}

/** etcd on https://127.0.0.1 with client certificates required; ready once a client with the certificate can read. */
async function startTlsEtcd(dir: string, tls: TlsFiles): Promise<{ endpoint: string; process: ManagedProcess }> {
  const bin = process.env.FLOTILLA_TEST_ETCD_BIN;
  if (bin === undefined || bin === '') throw new Error('FLOTILLA_TEST_ETCD_BIN is not set: run under scripts/test-services');
  return withFreePorts([undefined, undefined], async ([clientPort, peerPort]) => {
    const endpoint = `https://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    const etcd = launch({
      name: 'etcd (TLS)',
      command: bin,
      args: [
        '--name=flotilla-tls',
        `--data-dir=${join(dir, 'data')}`,
        `--listen-client-urls=${endpoint}`,
        `--advertise-client-urls=${endpoint}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=flotilla-tls=${peer}`,
        `--cert-file=${tls.serverCert}`,
        `--key-file=${tls.serverKey}`,
        `--trusted-ca-file=${tls.caFile}`,
        '--client-cert-auth',
      ],
      cwd: dir,
      logFile: join(dir, 'etcd.log'),
    });
    const probe = new EtcdAdmin(endpoint, {
      credentials: {
        rootCertificate: readFileSync(tls.caFile),
        certChain: readFileSync(tls.certFile),
        privateKey: readFileSync(tls.keyFile),
      },
    });
    try {
      await waitUntilReady({
        name: 'etcd (TLS)',
        process: etcd,
        address: `127.0.0.1:${clientPort}`,
        probe: async () => (await probe.range('/probe')).revision > 0,
      });
    } finally {
      probe.close();
    }
    return { endpoint, process: etcd };
  });
}

describe('etcd registry over TLS with client certificates', {
  skip: 'skip' in etcdAvailable ? etcdAvailable.skip : false,
  timeout: 120_000,
}, () => {
  let dir: { path: string; remove(): void } | undefined;
  let etcd: { endpoint: string; process: ManagedProcess } | undefined;
  let tls: TlsFiles;
  const registries: Registry[] = [];

  before(async () => {
    dir = tempDir('etcd-tls');
    tls = makeCertificates(dir.path);
    etcd = await startTlsEtcd(dir.path, tls);
  });
  after(async () => {
    await Promise.all(registries.map((r) => r.close().catch(() => undefined)));
    await etcd?.process.stop();
    dir?.remove();
  });

  test('registers, lists and watches with the CA, client certificate and key from the settings', async () => {
    const defaults = Value.Default(DiscoveryConfig, {}) as DiscoverySettings;
    const settings: DiscoverySettings = {
      ...defaults,
      backend: 'etcd',
      etcd: {
        ...defaults.etcd,
        endpoints: etcd!.endpoint,
        ttlSeconds: 3,
        tls: { caFile: tls.caFile, certFile: tls.certFile, keyFile: tls.keyFile },
      },
    };
    assert.ok(Value.Check(DiscoveryConfig, settings), 'valid discovery settings');
    const server = createRegistry(settings, { namespace: 'test' });
    const client = createRegistry(settings, { namespace: 'test' });
    registries.push(server, client);
    const set = client.watch('users');
    await set.ready;
    const registration = await server.register({ service: 'users', id: 'users-tls', address: '127.0.0.1', ports: { grpc: 9 } });
    await eventually(() => set.snapshot().length === 1, { message: 'the watch to see users-tls' });
    assert.deepEqual(await client.list('users'), [registration.instance]);
    await server.deregister();
    await eventually(() => set.snapshot().length === 0, { message: 'the watch to see the removal' });
    set.close();
  });
});
