// Test PKI for a throwaway control plane: a CA, the apiserver's serving certificate,
// client certificates and the service-account signing key. Made with the openssl CLI
// (EC P-256 keys: fast to generate, accepted by every Kubernetes component).
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  saKey: string;
  saPub: string;
  /** client certificates by name (admin, controller-manager, ...) */
  clients: Record<string, { cert: string; key: string }>;
}

export interface ClientIdentity {
  name: string;
  commonName: string;
  organization?: string;
}

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args, { maxBuffer: 1 << 20 });
}

async function newKey(path: string): Promise<void> {
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
}

async function signLeaf(
  dir: string,
  name: string,
  subject: string,
  extensions: string,
  pki: { caCert: string; caKey: string },
): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  await newKey(key);
  await openssl(['req', '-new', '-key', key, '-subj', subject, '-out', csr]);
  await writeFile(ext, extensions);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    pki.caCert,
    '-CAkey',
    pki.caKey,
    '-CAcreateserial',
    '-days',
    '3650',
    '-sha256',
    '-extfile',
    ext,
    '-out',
    cert,
  ]);
  return { cert, key };
}

/** Generates everything under `dir`; `clients` get certificates the apiserver trusts. */
export async function createPki(dir: string, clients: ClientIdentity[]): Promise<Pki> {
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
  await newKey(caKey);
  await openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    caKey,
    '-subj',
    '/CN=flotilla-test-ca',
    '-days',
    '3650',
    '-sha256',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    caCert,
  ]);
  const ca = { caCert, caKey };

  const sans = [
    'IP:127.0.0.1',
    'IP:::1',
    'IP:10.96.0.1',
    'DNS:localhost',
    'DNS:kubernetes',
    'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc',
    'DNS:kubernetes.default.svc.cluster.local',
  ];
  const server = await signLeaf(
    dir,
    'apiserver',
    '/CN=kube-apiserver',
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans.join(',')}\n`,
    ca,
  );

  const saKey = join(dir, 'sa.key');
  const saPub = join(dir, 'sa.pub');
  await newKey(saKey);
  await openssl(['pkey', '-in', saKey, '-pubout', '-out', saPub]);

  const issued: Pki['clients'] = {};
  for (const client of clients) issued[client.name] = await issueClientCertificate(dir, client, ca);
  return { dir, caCert, caKey, serverCert: server.cert, serverKey: server.key, saKey, saPub, clients: issued };
}

/** A client certificate signed by an existing CA (e.g. a node's kubelet: CN system:node:NAME, O system:nodes). */
export async function issueClientCertificate(
  dir: string,
  client: ClientIdentity,
  ca: { caCert: string; caKey: string },
): Promise<{ cert: string; key: string }> {
  const subject = `/CN=${client.commonName}${client.organization ? `/O=${client.organization}` : ''}`;
  return await signLeaf(
    dir,
    `client-${client.name}`,
    subject,
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n',
    ca,
  );
}
