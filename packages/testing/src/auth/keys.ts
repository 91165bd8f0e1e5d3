/**
 * For the auth suites: RSA and EC keys to sign tokens with, claims they
 * accept, a JWKS endpoint on loopback whose keys can be rotated, and a clock
 * moved by hand.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mintJwt, nowSeconds, type Signer } from './jwt.ts';

const rs256 =
  (key: KeyObject): Signer =>
  (input) =>
    sign('sha256', Buffer.from(input), key);
const es256 =
  (key: KeyObject): Signer =>
  (input) =>
    sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });

/** Claims that pass the checks of `jwtSettings` below, for an hour. */
export function goodClaims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: 'https://issuer.test',
    aud: 'flotilla',
    sub: 'ada',
    roles: ['reader'],
    iat: nowSeconds(),
    exp: nowSeconds() + 3600,
    ...extra,
  };
}

export interface TestKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: Record<string, unknown>;
  signer: Signer;
  alg: 'RS256' | 'ES256';
}

export function rsaKey(kid: string, modulusLength = 2048): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength });
  return {
    kid,
    privateKey,
    publicKey,
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' },
    signer: rs256(privateKey),
    alg: 'RS256',
  };
}

export function ecKey(kid: string): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    kid,
    privateKey,
    publicKey,
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'ES256' },
    signer: es256(privateKey),
    alg: 'ES256',
  };
}

export function tokenFor(key: TestKey, claims: Record<string, unknown> = goodClaims()): string {
  return mintJwt({ alg: key.alg, typ: 'JWT', kid: key.kid }, claims, key.signer);
}

/** A JWKS endpoint that counts its requests; `keys`, `cacheControl` and `status` can change at any time. */
export class JwksServer {
  keys: Array<Record<string, unknown>> = [];
  cacheControl: string | undefined = undefined;
  status = 200;
  requests = 0;
  private readonly server: Server;

  constructor() {
    this.server = createServer((_req, res) => {
      this.requests++;
      if (this.status !== 200) {
        res.writeHead(this.status).end();
        return;
      }
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (this.cacheControl !== undefined) headers['cache-control'] = this.cacheControl;
      res.writeHead(200, headers).end(JSON.stringify({ keys: this.keys }));
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A clock the test moves by hand (milliseconds). */
export class ManualClock {
  public now: number;
  constructor(now = Date.now()) {
    this.now = now;
  }
  readonly read = (): number => this.now;
  advance(seconds: number): void {
    this.now += seconds * 1000;
  }
}

export const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
