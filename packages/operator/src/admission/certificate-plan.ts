// Decides which webhook certificates to issue now, from those stored and the clock.
//
// A certificate is renewed once a third of its lifetime is left. The CA bundle the API
// server trusts holds the current CA and, after a CA renewal, the previous one until it
// expires, so certificates of either verify. A serving certificate moves to a new CA only
// once the published bundle has that CA (the caller says so), never in the same step.
import { createPublicKey, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { type CertifiedKey, issueCertificate, splitPem } from './x509.ts';

export interface WebhookCertificates {
  /** PEM bundle to trust: the current CA first, then the previous one while it is valid */
  caBundle: string;
  /** the current CA's private key (PEM) */
  caKey: string;
  /** the serving certificate (PEM) */
  certificate: string;
  /** its private key (PEM) */
  key: string;
}

export interface PlanOptions {
  now: Date;
  /** DNS names and IP addresses the serving certificate must be valid for */
  hosts: string[];
  caLifetimeMs: number;
  servingLifetimeMs: number;
  /** names the CA (`<commonName> CA`) and the serving certificate */
  commonName: string;
  /** the bundle the API server has includes the current CA (or nothing reads a bundle) */
  currentCaPublished: boolean;
}

export interface Plan {
  certificates: WebhookCertificates;
  /** what was issued */
  issued: ('ca' | 'serving')[];
  /** whether to store `certificates` (something was issued, or an expired CA left the bundle) */
  changed: boolean;
}

/** Backdated against clocks a little behind ours (another replica, the API server). */
const CLOCK_SKEW_MS = 60_000;

function parse(pem: string | undefined): X509Certificate | undefined {
  if (!pem) return undefined;
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

function keyMatches(certificate: X509Certificate, keyPem: string | undefined): boolean {
  if (!keyPem) return false;
  try {
    const spki = (key: ReturnType<typeof createPublicKey>) => key.export({ type: 'spki', format: 'der' });
    return spki(createPublicKey(keyPem)).equals(spki(certificate.publicKey));
  } catch {
    return false;
  }
}

/** Valid now and for more than a third of `lifetimeMs`, and not longer-lived than `lifetimeMs` allows. */
function fresh(certificate: X509Certificate, now: Date, lifetimeMs: number): boolean {
  const remaining = Date.parse(certificate.validTo) - now.getTime();
  return Date.parse(certificate.validFrom) <= now.getTime() && remaining > lifetimeMs / 3 && remaining <= lifetimeMs;
}

function covers(certificate: X509Certificate, hosts: string[]): boolean {
  return hosts.every((host) => (isIP(host) ? certificate.checkIP(host) : certificate.checkHost(host, { wildcards: false })) !== undefined);
}

const issuedBy = (certificate: X509Certificate, ca: X509Certificate): boolean =>
  certificate.checkIssued(ca) && certificate.verify(ca.publicKey);

export async function planCertificates(stored: WebhookCertificates | undefined, options: PlanOptions): Promise<Plan> {
  const { now } = options;
  const issued: Plan['issued'] = [];
  const valid = (certificate: X509Certificate) => Date.parse(certificate.validTo) > now.getTime();
  let bundle = splitPem(stored?.caBundle ?? '')
    .map((pem) => ({ pem, parsed: parse(pem) }))
    .filter((entry): entry is { pem: string; parsed: X509Certificate } => entry.parsed !== undefined && valid(entry.parsed));
  let ca: CertifiedKey | undefined = bundle[0] && stored ? { certificate: bundle[0].pem, key: stored.caKey } : undefined;
  const currentCa = bundle[0]?.parsed;
  // Signs serving certificates; right after a CA renewal still the previous CA.
  let signer = ca;

  if (!ca || !currentCa || !keyMatches(currentCa, ca.key) || !fresh(currentCa, now, options.caLifetimeMs)) {
    const previousUsable = currentCa !== undefined && ca !== undefined && keyMatches(currentCa, ca.key);
    ca = await issueCertificate({
      commonName: `${options.commonName} CA`,
      ca: true,
      notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
      notAfter: new Date(now.getTime() + options.caLifetimeMs),
    });
    // The previous CA stays trusted while certificates it signed may still be served.
    bundle = [{ pem: ca.certificate, parsed: new X509Certificate(ca.certificate) }, ...(previousUsable ? bundle.slice(0, 1) : [])];
    if (!previousUsable) signer = ca;
    issued.push('ca');
  }
  const newest = bundle[0]!.parsed;
  const newestTrusted = options.currentCaPublished && !issued.includes('ca');

  const serving = parse(stored?.certificate);
  const usable =
    serving !== undefined &&
    Date.parse(serving.validTo) > now.getTime() &&
    keyMatches(serving, stored?.key) &&
    covers(serving, options.hosts) &&
    bundle.some((entry) => issuedBy(serving, entry.parsed));
  // Until the API server trusts the newest CA, whatever it can verify is kept.
  const servingOk = newestTrusted ? usable && fresh(serving, now, options.servingLifetimeMs) && issuedBy(serving, newest) : usable;
  let certificate = stored?.certificate ?? '';
  let key = stored?.key ?? '';
  if (!servingOk) {
    const notAfter = Math.min(now.getTime() + options.servingLifetimeMs, Date.parse(new X509Certificate(signer!.certificate).validTo));
    ({ certificate, key } = await issueCertificate({
      commonName: options.commonName,
      ca: false,
      hosts: options.hosts,
      notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
      notAfter: new Date(notAfter),
      issuer: signer!,
    }));
    issued.push('serving');
  }
  const caBundle = bundle.map((entry) => entry.pem).join('');
  return {
    certificates: { caBundle, caKey: ca.key, certificate, key },
    issued,
    changed: issued.length > 0 || caBundle !== stored?.caBundle,
  };
}
