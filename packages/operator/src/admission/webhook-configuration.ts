// Keeps the CA bundle of the operator's ValidatingWebhookConfiguration equal to the CA(s)
// the webhook certificates come from. The configuration itself (rules, failure policy,
// where to call) is the manifest's; only `clientConfig.caBundle` of each webhook is written,
// by a JSON patch guarded by the resourceVersion read.
import { isNotFound, type KubeClient, type KubeObject, type ResourceType } from '@flotilla/kube';
import { splitPem } from './x509.ts';

export const ValidatingWebhookConfigurationResource: ResourceType = {
  group: 'admissionregistration.k8s.io',
  version: 'v1',
  plural: 'validatingwebhookconfigurations',
  kind: 'ValidatingWebhookConfiguration',
  namespaced: false,
};

export interface ValidatingWebhookConfiguration extends KubeObject {
  webhooks?: { name: string; clientConfig: { caBundle?: string; url?: string; service?: Record<string, unknown> } }[];
}

/** The configuration as read, and the CA bundle (PEM) each of its webhooks trusts now. */
export interface PublishedBundles {
  configuration: ValidatingWebhookConfiguration;
  bundles: string[];
}

export class WebhookConfigurationPatcher {
  private readonly client: KubeClient;
  readonly name: string;

  constructor(client: KubeClient, name: string) {
    this.client = client;
    this.name = name;
  }

  /** undefined when the configuration does not exist (not applied, or deleted) */
  async read(): Promise<PublishedBundles | undefined> {
    try {
      const configuration = await this.client.get<ValidatingWebhookConfiguration>(
        ValidatingWebhookConfigurationResource,
        undefined,
        this.name,
      );
      const bundles = (configuration.webhooks ?? []).map((webhook) =>
        Buffer.from(webhook.clientConfig.caBundle ?? '', 'base64').toString('utf8'),
      );
      return { configuration, bundles };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Writes `caBundle` (PEM) into every webhook of the configuration read that lacks it; true when it patched. */
  async publish(published: PublishedBundles, caBundle: string): Promise<boolean> {
    const { configuration, bundles } = published;
    const encoded = Buffer.from(caBundle, 'utf8').toString('base64');
    const stale = bundles.flatMap((bundle, index) => (bundle === caBundle ? [] : [index]));
    if (stale.length === 0) return false;
    await this.client.patch(
      ValidatingWebhookConfigurationResource,
      undefined,
      this.name,
      [
        { op: 'test', path: '/metadata/resourceVersion', value: configuration.metadata.resourceVersion },
        ...stale.map((index) => ({ op: 'add', path: `/webhooks/${index}/clientConfig/caBundle`, value: encoded })),
      ],
      'json',
    );
    return true;
  }
}

/** Whether every webhook of the configuration trusts `caCertificate` (PEM). */
export function trusts(published: PublishedBundles, caCertificate: string): boolean {
  const wanted = caCertificate.trim();
  return published.bundles.every((bundle) => splitPem(bundle).some((pem) => pem.trim() === wanted));
}
