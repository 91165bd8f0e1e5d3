/**
 * Decoding a compact JWS (`header.payload.signature`, RFC 7515) strictly:
 * base64url alphabet only, canonical encodings, JSON objects, bounded size.
 * Nothing here trusts the content; verification happens in jwt-verifier.ts.
 */

export interface JwsHeader {
  alg: string;
  kid: string | undefined;
}

export interface DecodedJws {
  header: JwsHeader;
  /** `header.payload` exactly as received: the bytes the signature covers. */
  signingInput: string;
  payloadSegment: string;
  signature: Buffer;
}

/** Far above any real access token, far below what could cost real CPU. */
export const MAX_TOKEN_LENGTH = 16_384;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export function decodeJws(token: string): DecodedJws | undefined {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return undefined;
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first <= 0 || second <= first + 1 || token.indexOf('.', second + 1) !== -1) return undefined;
  const headerSegment = token.slice(0, first);
  const payloadSegment = token.slice(first + 1, second);
  const signatureSegment = token.slice(second + 1);

  const header = decodeJsonObject(headerSegment);
  if (header === undefined || typeof header.alg !== 'string') return undefined;
  if (header.kid !== undefined && (typeof header.kid !== 'string' || header.kid.length === 0 || header.kid.length > 256)) return undefined;
  // `crit` names extensions the recipient must understand; we understand none (RFC 7515 §4.1.11).
  if (header.crit !== undefined) return undefined;

  // An empty signature is what `alg: none` tokens carry; report that as such rather than as malformed.
  let signature = Buffer.alloc(0);
  if (signatureSegment !== '') {
    if (!BASE64URL.test(signatureSegment)) return undefined;
    signature = Buffer.from(signatureSegment, 'base64url');
    if (signature.toString('base64url') !== signatureSegment) return undefined; // non-canonical: another string for the same bytes
  }
  return {
    header: { alg: header.alg, kid: header.kid as string | undefined },
    signingInput: token.slice(0, second),
    payloadSegment,
    signature,
  };
}

/** A base64url segment holding a JSON object, or undefined. */
export function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  if (!BASE64URL.test(segment)) return undefined;
  const bytes = Buffer.from(segment, 'base64url');
  if (bytes.toString('base64url') !== segment) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
