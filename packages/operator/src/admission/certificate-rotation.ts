// One pass of the webhook's certificate upkeep, run at start and then every check interval
// by every replica: read the Secret and the published CA bundle, renew what is due (and
// store it, unless another replica stored its renewal first), publish the CA bundle.
import type { Logger } from 'pino';
import { type PlanOptions, planCertificates, type WebhookCertificates } from './certificate-plan.ts';
import type { CertificateSecret } from './certificate-secret.ts';
import type { AdmissionMetrics } from './metrics.ts';
import { trusts, type WebhookConfigurationPatcher } from './webhook-configuration.ts';
import { splitPem } from './x509.ts';

export type RotationOptions = Omit<PlanOptions, 'now' | 'currentCaPublished'>;

export interface RotationDeps {
  secret: CertificateSecret;
  webhooks: WebhookConfigurationPatcher;
  log: Logger;
  metrics: AdmissionMetrics;
}

export class CertificateRotation {
  private readonly deps: RotationDeps;
  private readonly options: RotationOptions;

  constructor(deps: RotationDeps, options: RotationOptions) {
    this.deps = deps;
    this.options = options;
  }

  /** Renews what is due, stores and publishes it; returns the certificates to serve. */
  async tick(now = new Date()): Promise<WebhookCertificates> {
    const { secret, webhooks, log, metrics } = this.deps;
    const stored = await secret.load();
    const published = await webhooks.read();
    const currentCa = splitPem(stored.certificates?.caBundle ?? '')[0];
    // Without the configuration nothing checks the bundle: a new CA may serve at once.
    const currentCaPublished = !published || (currentCa !== undefined && trusts(published, currentCa));
    const plan = await planCertificates(stored.certificates, { ...this.options, now, currentCaPublished });
    let certificates = plan.certificates;
    if (plan.changed) {
      if (await secret.save(plan.certificates, stored.resourceVersion)) {
        for (const certificate of plan.issued) metrics.rotations.inc({ certificate });
        if (plan.issued.length > 0)
          log.info(
            { 'event.action': 'webhook-certificates-issued', issued: plan.issued, secret: `${secret.namespace}/${secret.name}` },
            `issued ${plan.issued.join(' and ')} certificate`,
          );
      } else {
        const theirs = await secret.load();
        if (!theirs.certificates) throw new Error(`Secret ${secret.namespace}/${secret.name} changed under us and holds no certificates`);
        certificates = theirs.certificates;
        log.debug('another replica stored the webhook certificates first; using them');
      }
    }
    if (published && (await webhooks.publish(published, certificates.caBundle)))
      log.info(
        { 'event.action': 'webhook-ca-bundle-published', configuration: webhooks.name },
        'CA bundle published to the webhook configuration',
      );
    else if (!published) log.debug({ configuration: webhooks.name }, 'no ValidatingWebhookConfiguration to publish the CA bundle to');
    return certificates;
  }
}
