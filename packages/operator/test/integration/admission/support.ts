// What the admission suites share: kubectl apply of a manifest (its stderr is what a user
// reads), a ValidatingWebhookConfiguration calling the operator on 127.0.0.1 for one
// namespace only (other suites share the API server), and waiting for its CA bundle.
import { type ChildProcess, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { isNotFound, type KubeClient, type KubeObject } from '@flotilla/kube';
import { eventually } from '@flotilla/testing';
import { MICROSERVICES_WEBHOOK_PATH } from '../../../src/admission/admission.ts';
import {
  type ValidatingWebhookConfiguration,
  ValidatingWebhookConfigurationResource,
} from '../../../src/admission/webhook-configuration.ts';
import { kubectl } from '../../../../../scripts/test-services/kube.ts';

export interface Applied {
  ok: boolean;
  /** what kubectl printed: when applied, stdout then stderr (warnings); when refused, stderr */
  output: string;
}

let counter = 0;

/** `kubectl apply -f` of `objects` written to a file in `dir`; a refusal is returned, not thrown. */
export async function kubectlApply(kubeconfig: string, dir: string, ...objects: object[]): Promise<Applied> {
  const file = join(dir, `manifest-${++counter}.yaml`);
  await writeFile(file, objects.map((object) => stringify(object)).join('---\n'));
  try {
    const { stdout, stderr } = await kubectl(kubeconfig, 'apply', '-f', file);
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    return { ok: false, output: stderr || message };
  }
}

export function microservice(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): KubeObject & { spec: Record<string, unknown> } {
  return { apiVersion: 'flotilla.dev/v1alpha1', kind: 'Microservice', metadata: { name, namespace }, spec };
}

/** The webhook of deploy/kubernetes/operator/webhook, called by URL and only for `namespace`. */
export async function createWebhookConfiguration(client: KubeClient, name: string, port: number, namespace: string): Promise<void> {
  const webhookConfiguration: KubeObject & Record<string, unknown> = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name },
    webhooks: [
      {
        name: 'microservices.flotilla.dev',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Ignore',
        timeoutSeconds: 5,
        clientConfig: { url: `https://127.0.0.1:${port}${MICROSERVICES_WEBHOOK_PATH}` },
        rules: [
          {
            apiGroups: ['flotilla.dev'],
            apiVersions: ['v1alpha1'],
            resources: ['microservices'],
            operations: ['CREATE', 'UPDATE'],
            scope: 'Namespaced',
          },
        ],
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
      },
    ],
  };
  await client.create(ValidatingWebhookConfigurationResource, webhookConfiguration);
}

export async function deleteWebhookConfiguration(client: KubeClient, name: string): Promise<void> {
  await client.delete(ValidatingWebhookConfigurationResource, undefined, name).catch((error: unknown) => {
    if (!isNotFound(error)) throw error;
  });
}

/** Resolves once every webhook of the configuration trusts exactly `caBundle` (PEM). */
export async function waitForCaBundle(client: KubeClient, name: string, caBundle: () => string, message: string): Promise<void> {
  await eventually(
    async () => {
      const configuration = await client.get<ValidatingWebhookConfiguration>(ValidatingWebhookConfigurationResource, undefined, name);
      const wanted = Buffer.from(caBundle()).toString('base64');
      return configuration.webhooks?.every((webhook) => webhook.clientConfig.caBundle === wanted);
    },
    { timeoutMs: 30_000, intervalMs: 50, message },
  );
}

const main = fileURLToPath(new URL('../../../src/main.ts', import.meta.url));

export interface OperatorProcess {
  child: ChildProcess;
  /** the webhook's port, from the line it logs once serving */
  port: Promise<number>;
  exited: Promise<number | null>;
  /** every log line, parsed */
  lines: Record<string, unknown>[];
}

/** `flotilla operator` with the webhook on a free port of 127.0.0.1, its controllers confined to `namespace`. */
export function spawnOperator(kubeconfig: string, namespace: string, configuration: string, secret: string): OperatorProcess {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@flotilla/source',
      main,
      ...['--kubeconfig', kubeconfig, '--namespace', namespace, '--lease-namespace', namespace, '--port', '0'],
      ...['--webhook-port', '0', '--webhook-hosts', '127.0.0.1', '--webhook-configuration', configuration, '--webhook-secret', secret],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOG_LEVEL: 'debug' } },
  );
  const lines: Record<string, unknown>[] = [];
  const port = new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      lines.push(record);
      if (record.message === 'admission webhook serving') resolve(record['server.port'] as number);
    });
    child.once('exit', (code) => reject(new Error(`the operator exited (${code}) before serving its webhook`)));
  });
  port.catch(() => {});
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, port, exited, lines };
}

/** The certificate a TLS client gets from 127.0.0.1:`port`, verified against `caBundle`. */
export async function servedCertificate(port: number, caBundle: string): Promise<X509Certificate> {
  return await new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: caBundle, checkServerIdentity: () => undefined }, () => {
      const certificate = new X509Certificate(socket.getPeerCertificate().raw);
      socket.end();
      resolve(certificate);
    });
    socket.once('error', reject);
  });
}
