/**
 * What a real client of the dev system presents: a bearer JWT signed with the
 * dev HS256 secret, for the issuer and audience `config/dev/gateway.yaml`
 * accepts. The services get the same JWT settings (support/system.ts), so the
 * token works through the gateway and directly.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { configDir, hs256, mintJwt, nowSeconds } from '@flotilla/testing';

interface JwtSettings {
  issuer: string | string[];
  audience: string | string[];
  secret?: string;
}

/** `${VAR:-default}` and `${VAR}` as the config loader reads them. */
function interpolate(value: string): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g, (_, name: string, fallback: string | undefined) => {
    const set = process.env[name];
    if (set !== undefined && set !== '') return set;
    if (fallback !== undefined) return fallback;
    throw new Error(`config/dev/gateway.yaml needs ${name}`);
  });
}

const first = (value: string | string[]): string => (Array.isArray(value) ? (value[0] ?? '') : value);

/** `Authorization: Bearer …` for an hour, for subject `fuzzer` with the `admin` role. */
export function devAuthorization(): string {
  const gateway = parse(readFileSync(join(configDir, 'dev', 'gateway.yaml'), 'utf8')) as { auth?: { jwt?: JwtSettings } };
  const jwt = gateway.auth?.jwt;
  if (jwt?.secret === undefined) throw new Error('config/dev/gateway.yaml has no auth.jwt.secret: teach the fuzz stage the new credential');
  const now = nowSeconds();
  const claims = { iss: first(jwt.issuer), aud: first(jwt.audience), sub: 'fuzzer', roles: ['admin'], iat: now, exp: now + 3600 };
  return `Bearer ${mintJwt({ alg: 'HS256', typ: 'JWT' }, claims, hs256(interpolate(jwt.secret)))}`;
}
