// The webhook's certificates live in one Secret (type kubernetes.io/tls, plus the CA's
// bundle and key), shared by every operator replica. Writes are guarded by the
// resourceVersion read: of two replicas renewing at once one wins, the other reads its work.
import { isAlreadyExists, isConflict, isNotFound, type KubeClient, type KubeObject, Resources } from '@flotilla/kube';
import type { WebhookCertificates } from './certificate-plan.ts';

interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

export interface StoredCertificates {
  /** undefined when the Secret is missing or holds none */
  certificates?: WebhookCertificates;
  /** undefined when the Secret does not exist */
  resourceVersion?: string;
}

const KEYS = { caBundle: 'ca.crt', caKey: 'ca.key', certificate: 'tls.crt', key: 'tls.key' } as const;

const decode = (value: string | undefined): string => (value ? Buffer.from(value, 'base64').toString('utf8') : '');
const encode = (value: string): string => Buffer.from(value, 'utf8').toString('base64');

export class CertificateSecret {
  private readonly client: KubeClient;
  readonly namespace: string;
  readonly name: string;

  constructor(client: KubeClient, namespace: string, name: string) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
  }

  async load(): Promise<StoredCertificates> {
    let secret: Secret;
    try {
      secret = await this.client.get<Secret>(Resources.Secret, this.namespace, this.name);
    } catch (error) {
      if (isNotFound(error)) return {};
      throw error;
    }
    const certificates: WebhookCertificates = {
      caBundle: decode(secret.data?.[KEYS.caBundle]),
      caKey: decode(secret.data?.[KEYS.caKey]),
      certificate: decode(secret.data?.[KEYS.certificate]),
      key: decode(secret.data?.[KEYS.key]),
    };
    const empty = Object.values(certificates).every((value) => value === '');
    return { certificates: empty ? undefined : certificates, resourceVersion: secret.metadata.resourceVersion };
  }

  /**
   * Creates the Secret (no `resourceVersion`) or replaces the version read. Returns false
   * when someone else wrote it first: the caller reads theirs.
   */
  async save(certificates: WebhookCertificates, resourceVersion: string | undefined): Promise<boolean> {
    const secret: Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'flotilla-operator', 'app.kubernetes.io/component': 'admission-webhook' },
        ...(resourceVersion ? { resourceVersion } : {}),
      },
      type: 'kubernetes.io/tls',
      data: Object.fromEntries(Object.entries(KEYS).map(([field, key]) => [key, encode(certificates[field as keyof typeof KEYS])])),
    };
    try {
      if (resourceVersion) await this.client.replace(Resources.Secret, secret);
      else await this.client.create(Resources.Secret, secret);
      return true;
    } catch (error) {
      if (isConflict(error) || isAlreadyExists(error)) return false;
      throw error;
    }
  }
}
