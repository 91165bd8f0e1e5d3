/** Tokens minted on the test side, signed (or not) as the test chooses, to check what a verifier accepts. */
import { createHmac } from 'node:crypto';

/** Signs a JWS signing input (`header.claims`) and returns the raw signature. */
export type Signer = (input: string) => Buffer;

export const hs256 =
  (secret: string): Signer =>
  (input) =>
    createHmac('sha256', secret).update(input).digest();

const segment = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWT; without a signer its signature is empty. */
export function mintJwt(header: Record<string, unknown>, claims: Record<string, unknown>, signer: Signer | undefined): string {
  const input = `${segment(header)}.${segment(claims)}`;
  return `${input}.${signer === undefined ? '' : signer(input).toString('base64url')}`;
}

/** Now in whole seconds, as JWT times are. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
