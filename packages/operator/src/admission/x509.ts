// Issues X.509 certificates for the webhook: a self-signed CA and serving certificates it
// signs, with EC P-256 keys and ECDSA SHA-256 signatures. @peculiar/x509 writes them and
// Node's WebCrypto makes the keys and signs.

// Loaded first: tsyringe, through which @peculiar/x509 finds its algorithms, refuses to load
// without the Reflect metadata API.
import 'reflect-metadata';
import { createPrivateKey, KeyObject, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  cryptoProvider,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  type Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  Name,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
} from '@peculiar/x509';

cryptoProvider.set(webcrypto);

/** A certificate and its private key, both PEM. */
export interface CertifiedKey {
  certificate: string;
  key: string;
}

export interface CertificateRequest {
  commonName: string;
  notBefore: Date;
  notAfter: Date;
  /** a CA may sign certificates; a serving certificate may not */
  ca: boolean;
  /** DNS names and IP addresses the serving certificate is valid for */
  hosts?: string[];
  /** the signer; without one the certificate signs itself */
  issuer?: CertifiedKey;
}

const KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** The certificates of a PEM bundle, in order. */
export function splitPem(bundle: string): string[] {
  return (
    bundle
      .match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)
      ?.map((pem) => (pem.endsWith('\n') ? pem : `${pem}\n`)) ?? []
  );
}

export async function issueCertificate(request: CertificateRequest): Promise<CertifiedKey> {
  const keys = await webcrypto.subtle.generateKey(KEY, true, ['sign', 'verify']);
  const extensions: Extension[] = [
    request.ca ? new BasicConstraintsExtension(true, 0, true) : new BasicConstraintsExtension(false, undefined, true),
    new KeyUsagesExtension(
      request.ca ? KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign : KeyUsageFlags.digitalSignature,
      true,
    ),
    await SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (!request.ca) extensions.push(new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth]));
  if (request.hosts?.length)
    extensions.push(new SubjectAlternativeNameExtension(request.hosts.map((host) => ({ type: isIP(host) ? 'ip' : 'dns', value: host }))));
  // The serial number is left to the library: 128 random bits, encoded positive.
  const common = { notBefore: request.notBefore, notAfter: request.notAfter, signingAlgorithm: SIGNING };
  // The name as it is, a UTF8String: the library would read a string as a DN to parse.
  const subject = new Name([{ CN: [{ utf8String: request.commonName }] }]);

  let certificate: X509Certificate;
  if (request.issuer) {
    const issuer = new X509Certificate(request.issuer.certificate);
    // The issuer's own key identifier: one derived here another way than the issuer's would
    // not match it, and clients would not take the issuer for the signer.
    const issuerKeyId = issuer.getExtension(SubjectKeyIdentifierExtension)?.keyId;
    extensions.push(
      issuerKeyId ? new AuthorityKeyIdentifierExtension(issuerKeyId) : await AuthorityKeyIdentifierExtension.create(issuer.publicKey),
    );
    certificate = await X509CertificateGenerator.create({
      ...common,
      subject,
      // The issuer's subject as it is encoded: clients match the two byte for byte.
      issuer: issuer.subjectName,
      publicKey: keys.publicKey,
      signingKey: createPrivateKey(request.issuer.key).toCryptoKey(KEY, false, ['sign']),
      extensions,
    });
  } else {
    certificate = await X509CertificateGenerator.createSelfSigned({ ...common, name: subject, keys, extensions });
  }
  return {
    // Ends with a newline, as splitPem returns each certificate of a bundle.
    certificate: `${certificate.toString('pem')}\n`,
    key: KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}
