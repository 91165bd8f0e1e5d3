// Writes a kubeconfig with embedded certificates, readable by kubectl and by the operator.
import { readFile, writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';

export interface KubeconfigInput {
  server: string;
  caCert: string;
  clientCert: string;
  clientKey: string;
  user: string;
  /** name to verify the server certificate against when `server` is an address it does not list */
  tlsServerName?: string;
}

export async function writeKubeconfig(path: string, input: KubeconfigInput): Promise<void> {
  const b64 = async (file: string) => (await readFile(file)).toString('base64');
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'flotilla-test',
        cluster: {
          server: input.server,
          'certificate-authority-data': await b64(input.caCert),
          ...(input.tlsServerName ? { 'tls-server-name': input.tlsServerName } : {}),
        },
      },
    ],
    users: [
      { name: input.user, user: { 'client-certificate-data': await b64(input.clientCert), 'client-key-data': await b64(input.clientKey) } },
    ],
    contexts: [{ name: 'flotilla-test', context: { cluster: 'flotilla-test', user: input.user } }],
    'current-context': 'flotilla-test',
  };
  await writeFile(path, stringify(doc), { mode: 0o600 });
}
