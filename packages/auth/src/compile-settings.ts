/**
 * Auth settings checked beyond their schema (keys parse, HS256 has a secret,
 * ids are unique…) and turned into ready-to-use verifiers. Either the whole
 * thing compiles or a ConfigError lists every problem and nothing changes.
 */
import { createSecretKey } from 'node:crypto';
import { ConfigError, type ConfigProblem } from '@flotilla/config';
import { ApiKeyVerifier } from './api-keys.ts';
import { missingCredentialsChallenge } from './challenge.ts';
import { HmacSha256 } from './hmac-sha256.ts';
import { JwksCache } from './jwks.ts';
import { algorithmFor, importJwk, importPem, type VerificationKey } from './jwt-keys.ts';
import type { JwtVerifierConfig } from './jwt-verifier.ts';
import type { AuthLogger } from './logger.ts';
import type { AuthSettings, JwtSettings } from './settings.ts';
import { VerifiedTokens } from './verified-tokens.ts';

export interface CompiledAuth {
  settings: AuthSettings;
  missingChallenge: string;
  jwt: JwtVerifierConfig | undefined;
  apiKeys: ApiKeyVerifier;
  /** Identity-header secrets as HMAC keys, the signing one first; empty when not configured. */
  identityKeys: readonly HmacSha256[];
  /** Bearer tokens verified under these settings. */
  verifiedTokens: VerifiedTokens;
}

export interface CompileDependencies {
  clock: () => number;
  logger: AuthLogger | undefined;
}

/** Every problem with these settings (already schema-valid); empty when they would compile. */
export function authSettingsProblems(settings: AuthSettings): ConfigProblem[] {
  return check(settings).problems;
}

export function compileAuthSettings(settings: AuthSettings, previous: CompiledAuth | undefined, deps: CompileDependencies): CompiledAuth {
  const { problems, keys } = check(settings);
  if (problems.length > 0) throw new ConfigError('auth', 'auth settings', problems);
  const jwt = settings.jwt;
  const identitySecrets =
    settings.identityHeader === undefined
      ? []
      : [settings.identityHeader.secret, settings.identityHeader.previousSecret].filter((s): s is string => s !== undefined);
  return {
    settings,
    missingChallenge: missingCredentialsChallenge(settings.realm, {
      bearer: jwt !== undefined,
      apiKey: settings.apiKeys.length > 0,
    }),
    jwt:
      jwt === undefined
        ? undefined
        : {
            settings: jwt,
            issuers: typeof jwt.issuer === 'string' ? [jwt.issuer] : jwt.issuer,
            audiences: typeof jwt.audience === 'string' ? [jwt.audience] : jwt.audience,
            secrets: [jwt.secret, jwt.previousSecret]
              .filter((s): s is string => s !== undefined)
              .map((secret) => createSecretKey(Buffer.from(secret, 'utf8'))),
            staticKeys: keys,
            jwks: jwt.jwks === undefined ? undefined : reuseOrCreateJwks(jwt, previous, deps),
          },
    apiKeys: new ApiKeyVerifier(settings.apiKeys),
    identityKeys: identitySecrets.map((secret) => new HmacSha256(secret)),
    verifiedTokens: new VerifiedTokens(),
  };
}

function check(settings: AuthSettings): { problems: ConfigProblem[]; keys: VerificationKey[] } {
  const problems: ConfigProblem[] = [];
  const keys = settings.jwt === undefined ? [] : staticKeys(settings.jwt, problems);
  jwtProblems(settings, problems);
  apiKeyProblems(settings, problems);
  return { problems, keys };
}

/** A reload that leaves the JWKS settings alone keeps the cached keys. */
function reuseOrCreateJwks(jwt: JwtSettings, previous: CompiledAuth | undefined, deps: CompileDependencies): JwksCache {
  const cached = previous?.jwt?.jwks;
  if (cached !== undefined && JSON.stringify(cached.settings) === JSON.stringify(jwt.jwks)) return cached;
  return new JwksCache(jwt.jwks!, deps.clock, deps.logger);
}

function jwtProblems(settings: AuthSettings, problems: ConfigProblem[]): void {
  const jwt = settings.jwt;
  if (jwt === undefined) return;
  const algorithms: readonly string[] = jwt.algorithms;
  if (algorithms.includes('HS256') && jwt.secret === undefined) {
    problems.push({ key: 'jwt.secret', value: undefined, rule: 'is required when jwt.algorithms lists HS256' });
  }
  if (jwt.previousSecret !== undefined && jwt.secret === undefined) {
    problems.push({ key: 'jwt.previousSecret', value: jwt.previousSecret, rule: 'needs jwt.secret as well' });
  }
  if ((algorithms.includes('RS256') || algorithms.includes('ES256')) && jwt.jwks === undefined && jwt.keys.length === 0) {
    problems.push({ key: 'jwt', value: undefined, rule: 'RS256/ES256 need jwt.jwks.url or jwt.keys' });
  }
  if (jwt.jwks !== undefined && jwt.jwks.minCacheSeconds > jwt.jwks.cacheSeconds) {
    problems.push({
      key: 'jwt.jwks.minCacheSeconds',
      value: jwt.jwks.minCacheSeconds,
      rule: `must not exceed jwt.jwks.cacheSeconds (${jwt.jwks.cacheSeconds})`,
    });
  }
}

function staticKeys(jwt: JwtSettings, problems: ConfigProblem[]): VerificationKey[] {
  const keys: VerificationKey[] = [];
  const kids = new Set<string>();
  jwt.keys.forEach((entry, index) => {
    const key = `jwt.keys.${index}`;
    if ((entry.pem === undefined) === (entry.jwk === undefined)) {
      problems.push({ key, value: undefined, rule: 'needs exactly one of pem or jwk' });
      return;
    }
    if (entry.kid !== undefined) {
      if (kids.has(entry.kid)) problems.push({ key: `${key}.kid`, value: entry.kid, rule: 'is used by another key' });
      kids.add(entry.kid);
    }
    try {
      if (entry.jwk !== undefined && 'd' in entry.jwk) throw new Error('holds private key material ("d"); configure the public key only');
      const imported = entry.pem !== undefined ? { kid: entry.kid, alg: undefined, key: importPem(entry.pem) } : importJwk(entry.jwk!);
      const usable = algorithmFor(imported.key);
      if (usable === undefined) throw new Error('is neither an RSA key of at least 2048 bits nor a P-256 key');
      const alg = entry.alg ?? imported.alg;
      if (alg !== undefined && alg !== usable) throw new Error(`is a key for ${usable}, not ${alg}`);
      keys.push({ kid: entry.kid ?? imported.kid, alg: alg ?? usable, key: imported.key });
    } catch (error) {
      problems.push({
        key: entry.pem !== undefined ? `${key}.pem` : `${key}.jwk`,
        value: undefined,
        rule: (error as Error).message,
      });
    }
  });
  return keys;
}

function apiKeyProblems(settings: AuthSettings, problems: ConfigProblem[]): void {
  const ids = new Set<string>();
  const hashes = new Set<string>();
  settings.apiKeys.forEach((entry, index) => {
    if (ids.has(entry.id)) problems.push({ key: `apiKeys.${index}.id`, value: entry.id, rule: 'is used by another key' });
    if (hashes.has(entry.hash)) problems.push({ key: `apiKeys.${index}.hash`, value: entry.hash, rule: 'is the hash of another key' });
    ids.add(entry.id);
    hashes.add(entry.hash);
  });
}
