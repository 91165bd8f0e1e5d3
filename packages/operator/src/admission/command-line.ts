// The operator command's admission flags and what they turn into. The webhook is off unless
// a port is given; its Secret and Service live in the operator's own namespace.
//
//   --webhook-port N             FLOTILLA_OPERATOR_WEBHOOK_PORT            serve the webhook (HTTPS) on N (0: any free port, logged); off when unset
//   --webhook-configuration NAME FLOTILLA_OPERATOR_WEBHOOK_CONFIGURATION   the ValidatingWebhookConfiguration to keep the CA bundle of (flotilla-operator)
//   --webhook-service NAME       FLOTILLA_OPERATOR_WEBHOOK_SERVICE         the Service in front of the webhook: its DNS names go in the certificate (flotilla-operator-webhook)
//   --webhook-secret NAME        FLOTILLA_OPERATOR_WEBHOOK_SECRET          the Secret with the CA and serving certificate (flotilla-operator-webhook-tls)
//   --webhook-hosts A,B          FLOTILLA_OPERATOR_WEBHOOK_HOSTS           more DNS names or IP addresses for the certificate
//   --webhook-cert-days N        FLOTILLA_OPERATOR_WEBHOOK_CERT_DAYS       serving certificate lifetime (30; renewed with a third left)
import type { AdmissionOptions } from './admission.ts';

export const ADMISSION_FLAGS = {
  'webhook-port': { type: 'string' },
  'webhook-configuration': { type: 'string' },
  'webhook-service': { type: 'string' },
  'webhook-secret': { type: 'string' },
  'webhook-hosts': { type: 'string' },
  'webhook-cert-days': { type: 'string' },
} as const;

type Values = Partial<Record<keyof typeof ADMISSION_FLAGS, string | boolean | undefined>>;

function positiveNumber(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number (got "${text}")`);
  return value;
}

/** The admission options from flags and environment, or undefined when the webhook is off. */
export function admissionOptionsFrom(values: Values, env: NodeJS.ProcessEnv, namespace: string): AdmissionOptions | undefined {
  const pick = (flag: keyof typeof ADMISSION_FLAGS, variable: string): string | undefined => {
    const value = values[flag] ?? env[variable];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const port = pick('webhook-port', 'FLOTILLA_OPERATOR_WEBHOOK_PORT');
  if (port === undefined) return undefined;
  const service = pick('webhook-service', 'FLOTILLA_OPERATOR_WEBHOOK_SERVICE') ?? 'flotilla-operator-webhook';
  const extra = (pick('webhook-hosts', 'FLOTILLA_OPERATOR_WEBHOOK_HOSTS') ?? '').split(',').map((host) => host.trim());
  const days = positiveNumber('webhook-cert-days', pick('webhook-cert-days', 'FLOTILLA_OPERATOR_WEBHOOK_CERT_DAYS') ?? '30');
  const portNumber = Number(port);
  if (!/^\d+$/.test(port) || portNumber > 65535) throw new Error(`--webhook-port must be a port number from 0 to 65535 (got "${port}")`);
  return {
    port: portNumber,
    webhookConfigurationName: pick('webhook-configuration', 'FLOTILLA_OPERATOR_WEBHOOK_CONFIGURATION') ?? 'flotilla-operator',
    secretNamespace: namespace,
    secretName: pick('webhook-secret', 'FLOTILLA_OPERATOR_WEBHOOK_SECRET') ?? 'flotilla-operator-webhook-tls',
    // The API server calls a Service webhook as <service>.<namespace>.svc.
    hosts: [`${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`, ...extra.filter(Boolean)],
    servingCertificateLifetimeMs: days * 24 * 3600_000,
  };
}
