// The validating admission webhook for Microservices, served by every operator replica:
// certificates from the shared Secret (made and renewed here), the CA bundle published to
// the ValidatingWebhookConfiguration, and the checks CEL cannot do (see checks.ts).
import { X509Certificate } from 'node:crypto';
import { sleep, sleepUnlessAborted } from '@flotilla/core';
import { Informer, isNotFound, isUnreachable, KubeApiError, type KubeClient, objectPath } from '@flotilla/kube';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Microservice } from '../microservice/types.ts';
import type { WebhookCertificates } from './certificate-plan.ts';
import { CertificateRotation } from './certificate-rotation.ts';
import { CertificateSecret } from './certificate-secret.ts';
import { checkMicroservice, type LookedUp, type Lookup } from './checks.ts';
import { type AdmissionMetrics, createAdmissionMetrics } from './metrics.ts';
import { type AdmissionRequest, allow, deny } from './review.ts';
import { AdmissionServer } from './server.ts';
import {
  type ValidatingWebhookConfiguration,
  ValidatingWebhookConfigurationResource,
  WebhookConfigurationPatcher,
} from './webhook-configuration.ts';

/** The path the webhook configuration calls for Microservices. */
export const MICROSERVICES_WEBHOOK_PATH = '/validate/microservices';

const DAY_MS = 24 * 3600_000;

export interface AdmissionOptions {
  /** 0 = any free port */
  port: number;
  /** default 0.0.0.0 */
  host?: string;
  /** the ValidatingWebhookConfiguration whose CA bundle this keeps */
  webhookConfigurationName: string;
  /** the Secret holding the CA and serving certificates, shared by the replicas */
  secretNamespace: string;
  secretName: string;
  /** DNS names (the Service's `<name>.<namespace>.svc`) and IP addresses the API server calls */
  hosts: string[];
  /** default 30 days; renewed with a third left */
  servingCertificateLifetimeMs?: number;
  /** default 10 years; renewed with a third left, the previous CA trusted until it expires */
  caCertificateLifetimeMs?: number;
  /** how often the Secret and the bundle are checked (default 60 s) */
  checkIntervalMs?: number;
  /** how long one referenced object's lookup may take (default 3 s, under the webhook's timeoutSeconds) */
  lookupTimeoutMs?: number;
}

export interface AdmissionDeps {
  client: KubeClient;
  log: Logger;
  registry: Registry;
}

export interface RunningAdmission {
  port: number;
  /** the certificates served now */
  certificates(): WebhookCertificates;
  /** Stops the upkeep and the server (requests in flight are answered). */
  stop(): Promise<void>;
}

/** Worth retrying at start: the API server not reachable yet, overloaded, or a write race. */
function transient(error: unknown): boolean {
  return isUnreachable(error) || (error instanceof KubeApiError && (error.status >= 500 || error.status === 409 || error.status === 429));
}

function lookupWith(client: KubeClient, timeoutMs: number): Lookup {
  return async (type, namespace, name) => {
    try {
      return await client.request<LookedUp>('GET', objectPath(type, namespace, name), { timeoutMs });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };
}

function microserviceHandler(lookup: Lookup) {
  return async (request: AdmissionRequest) => {
    const checked = request.kind.kind === 'Microservice' && (request.operation === 'CREATE' || request.operation === 'UPDATE');
    if (!checked || !request.namespace) return allow(request);
    const findings = await checkMicroservice(
      request.namespace,
      request.object as Microservice,
      request.oldObject as Microservice | undefined,
      lookup,
    );
    return findings.problems.length > 0 ? deny(request, findings.problems, findings.warnings) : allow(request, findings.warnings);
  };
}

function recordExpiry(metrics: AdmissionMetrics, certificates: WebhookCertificates): void {
  const seconds = (pem: string) => Date.parse(new X509Certificate(pem).validTo) / 1000;
  metrics.certificateExpiry.set({ certificate: 'serving' }, seconds(certificates.certificate));
  metrics.certificateExpiry.set({ certificate: 'ca' }, seconds(certificates.caBundle));
}

export async function startAdmission(deps: AdmissionDeps, options: AdmissionOptions): Promise<RunningAdmission> {
  const log = deps.log.child({ 'event.dataset': 'operator.admission' });
  const metrics = createAdmissionMetrics(deps.registry);
  const secret = new CertificateSecret(deps.client, options.secretNamespace, options.secretName);
  const webhooks = new WebhookConfigurationPatcher(deps.client, options.webhookConfigurationName);
  const servingLifetimeMs = options.servingCertificateLifetimeMs ?? 30 * DAY_MS;
  const caLifetimeMs = options.caCertificateLifetimeMs ?? 3650 * DAY_MS;
  if (options.hosts.length === 0) throw new Error('admission: the serving certificate needs at least one host name or address');
  // A CA renewed with a third left must still outlive a whole serving certificate's renewal window.
  if (caLifetimeMs < 2 * servingLifetimeMs)
    throw new Error(
      `admission: the CA lifetime (${caLifetimeMs} ms) must be at least twice the serving certificate's (${servingLifetimeMs} ms)`,
    );
  const rotation = new CertificateRotation(
    { secret, webhooks, log, metrics },
    { hosts: options.hosts, commonName: `${options.secretName}.${options.secretNamespace}`, servingLifetimeMs, caLifetimeMs },
  );
  const abort = new AbortController();

  // The first certificates are needed before serving: retry what may pass, fail on the rest (RBAC, a bad Secret).
  let certificates: WebhookCertificates | undefined;
  for (let delayMs = 250; !certificates; delayMs = Math.min(delayMs * 2, 10_000)) {
    try {
      certificates = await rotation.tick();
    } catch (error) {
      if (!transient(error))
        throw new Error(`admission webhook certificates: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      log.warn({ err: error }, 'admission webhook certificates not ready; retrying');
      await sleepUnlessAborted(delayMs, abort.signal);
    }
  }
  recordExpiry(metrics, certificates);

  const server = await AdmissionServer.start(
    {
      host: options.host ?? '0.0.0.0',
      port: options.port,
      handlers: { [MICROSERVICES_WEBHOOK_PATH]: microserviceHandler(lookupWith(deps.client, options.lookupTimeoutMs ?? 3_000)) },
      log,
      metrics,
    },
    certificates,
  );
  log.info({ 'server.port': server.port, 'url.path': MICROSERVICES_WEBHOOK_PATH }, 'admission webhook serving');

  // A webhook configuration applied or edited (its caBundle emptied by a re-apply, say) is
  // seen at once, not at the next check.
  let pending = false;
  let wake = new AbortController();
  const configurationWatch = new Informer<ValidatingWebhookConfiguration>(deps.client, ValidatingWebhookConfigurationResource, log, {
    fieldSelector: `metadata.name=${options.webhookConfigurationName}`,
  });
  const kick = () => {
    pending = true;
    wake.abort();
  };
  configurationWatch.addHandler({ onAdd: kick, onUpdate: kick });
  configurationWatch.start();

  const upkeep = (async () => {
    while (!abort.signal.aborted) {
      if (!pending) await sleep(options.checkIntervalMs ?? 60_000, abort.signal, wake.signal).catch(() => {});
      if (abort.signal.aborted) return;
      pending = false;
      wake = new AbortController();
      try {
        certificates = await rotation.tick();
        server.useCertificate(certificates);
        recordExpiry(metrics, certificates);
      } catch (error) {
        log.warn({ err: error }, 'admission webhook certificate upkeep failed; retrying at the next check');
      }
    }
  })();

  return {
    port: server.port,
    certificates: () => certificates!,
    async stop() {
      abort.abort();
      await upkeep;
      await configurationWatch.stop();
      await server.stop();
    },
  };
}
