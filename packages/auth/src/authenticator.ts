/**
 * The one object the gateway and services hold: it reads a request's
 * credential (bearer JWT or API key), verifies it, decides 401 / 403, and
 * signs or reads the gateway's identity header. It works on plain header
 * objects so the gateway's raw proxy path (below Fastify) can use it as it
 * is; fastify.ts wraps it as a hook for services.
 *
 * `update(settings)` swaps everything at once (hot reload); a request keeps
 * the settings it started with.
 */
import { FlotillaError } from '@flotilla/core';
import { REQUEST_ID_HEADER } from '@flotilla/telemetry';
import { bearerChallenge } from './challenge.ts';
import { compileAuthSettings, type CompiledAuth } from './compile-settings.ts';
import { readCredential, type Credential, type HeaderBag } from './credentials.ts';
import { hasAnyRole, type AuthFailure, type Identity } from './identity.ts';
import type { HmacSha256 } from './hmac-sha256.ts';
import { IDENTITY_HEADER, signBoundIdentity, verifyIdentityHeader, type IdentityBinding } from './identity-header.ts';
import type { JwksStats } from './jwks.ts';
import { verifyJwt, type JwtRejection } from './jwt-verifier.ts';
import type { AuthLogger } from './logger.ts';
import type { AuthSettings, RouteAuthRule } from './settings.ts';

export interface AuthenticatorOptions {
  logger?: AuthLogger;
  /** Milliseconds since the epoch; tests pass their own to move time. */
  clock?: () => number;
}

/** `identity: null` means the request carried no credential (fine unless the route requires one). */
export type AuthenticateResult = { identity: Identity | null } | AuthFailure;

const JWT_DESCRIPTIONS: Record<Exclude<JwtRejection, 'keys-unavailable'>, string> = {
  malformed: 'The access token is malformed',
  'alg-none': 'Unsigned tokens are not accepted',
  'alg-not-allowed': 'The token signing algorithm is not accepted',
  'unknown-key': 'The token is signed with an unknown key',
  'bad-signature': 'The token signature is invalid',
  expired: 'The access token expired',
  'not-yet-valid': 'The access token is not valid yet',
  'no-expiry': 'The access token has no expiry',
  'wrong-issuer': 'The access token comes from an issuer that is not trusted',
  'wrong-audience': 'The access token is meant for another audience',
  'no-subject': 'The access token has no subject',
};

export class Authenticator {
  private state: CompiledAuth;
  private readonly clock: () => number;
  private readonly logger: AuthLogger | undefined;

  constructor(settings: AuthSettings, options: AuthenticatorOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger;
    this.state = compileAuthSettings(settings, undefined, { clock: this.clock, logger: this.logger });
  }

  get settings(): AuthSettings {
    return this.state.settings;
  }

  /** The `WWW-Authenticate` value for a request without credentials. */
  get challenge(): string {
    return this.state.missingChallenge;
  }

  /** Applies new settings; throws ConfigError (and keeps the old ones) when they are invalid. */
  update(settings: AuthSettings): void {
    this.state = compileAuthSettings(settings, this.state, { clock: this.clock, logger: this.logger });
  }

  /** Verifies the request's bearer token or API key, if it has one. */
  async authenticate(headers: HeaderBag): Promise<AuthenticateResult> {
    const state = this.state;
    const credential = readCredential(headers);
    // Only a bearer token, with JWTs accepted and not verified before, is left unanswered.
    return (
      this.answerNow(state, credential) ??
      this.verifyJwt(state, state.jwt as NonNullable<CompiledAuth['jwt']>, (credential as { token: string }).token)
    );
  }

  /**
   * `authenticate` without a promise when the answer needs no signature
   * check or key fetch: no credential, an API key, a bearer token verified
   * before (VerifiedTokens), or bearer tokens not accepted here. Undefined:
   * call `authenticate`. The gateway's hot path stays synchronous with it.
   */
  authenticateNow(headers: HeaderBag): AuthenticateResult | undefined {
    return this.answerNow(this.state, readCredential(headers));
  }

  private answerNow(state: CompiledAuth, credential: Credential): AuthenticateResult | undefined {
    switch (credential.kind) {
      case 'none':
        return { identity: null };
      case 'ambiguous':
        return {
          problem: new FlotillaError('bad-request', 'Send one credential: a bearer token or an API key'),
          wwwAuthenticate: bearerChallenge(state.settings.realm, {
            code: 'invalid_request',
            description: 'More than one credential was sent',
          }),
        };
      case 'apiKey':
        return this.checkApiKey(state, credential.key);
      case 'bearer':
        return this.knownJwt(state, credential.token);
    }
  }

  /** Undefined when the rule lets this identity (or no identity) through; otherwise 401 or 403. */
  authorize(identity: Identity | null, rule: RouteAuthRule | undefined): AuthFailure | undefined {
    if (rule === undefined) return undefined;
    const roles = rule.roles ?? [];
    if (identity === null) {
      if (rule.required === false && roles.length === 0) return undefined;
      return {
        problem: new FlotillaError('unauthenticated', 'Authentication is required'),
        wwwAuthenticate: this.state.missingChallenge,
      };
    }
    if (hasAnyRole(identity, roles)) return undefined;
    this.logger?.debug(
      { event: { action: 'auth-forbidden' }, user: { id: identity.subject }, labels: { required: roles.join(' ') } },
      `${identity.subject} lacks any of the roles ${roles.join(', ')}`,
    );
    const description = 'The credential lacks a role this route requires';
    return {
      problem: new FlotillaError('forbidden', description),
      // insufficient_scope is a Bearer notion (RFC 6750 §3.1); an API key gets a plain 403.
      wwwAuthenticate:
        identity.method === 'jwt' ? bearerChallenge(this.state.settings.realm, { code: 'insufficient_scope', description }) : undefined,
    };
  }

  /** `authenticate` then `authorize`: the gateway's one call per request. */
  async check(headers: HeaderBag, rule: RouteAuthRule | undefined): Promise<AuthenticateResult> {
    return this.authorized(await this.authenticate(headers), rule);
  }

  /** `check` without a promise, when `authenticateNow` can answer; undefined: call `check`. */
  checkNow(headers: HeaderBag, rule: RouteAuthRule | undefined): AuthenticateResult | undefined {
    const result = this.authenticateNow(headers);
    return result === undefined ? undefined : this.authorized(result, rule);
  }

  private authorized(result: AuthenticateResult, rule: RouteAuthRule | undefined): AuthenticateResult {
    if ('problem' in result) return result;
    return this.authorize(result.identity, rule) ?? result;
  }

  /** Gateway side: the `x-flotilla-identity` value for one upstream request. Throws when `identityHeader` is not configured. */
  signIdentityHeader(identity: Identity, binding: IdentityBinding & { claims?: readonly string[] }): string {
    const settings = this.state.settings.identityHeader;
    if (settings === undefined)
      throw new FlotillaError('internal', 'auth.identityHeader is not configured, so no identity can be forwarded');
    return signBoundIdentity(
      identity,
      this.state.identityKeys[0] as HmacSha256,
      binding.method,
      binding.target,
      binding.requestId,
      settings.ttlSeconds,
      this.clock(),
      binding.claims,
    );
  }

  /**
   * Service side: the identity the gateway forwarded, or null when there is
   * none, this service has no `identityHeader` secret, or it does not verify
   * (a bad one is logged and ignored, never trusted).
   */
  readIdentityHeader(headers: HeaderBag, binding: Omit<IdentityBinding, 'requestId'>): Identity | null {
    const state = this.state;
    const value = headers[IDENTITY_HEADER];
    if (value === undefined || state.identityKeys.length === 0) return null;
    if (typeof value !== 'string') return this.ignoredIdentity('repeated');
    const requestId = headers[REQUEST_ID_HEADER];
    const result = verifyIdentityHeader(
      value,
      state.identityKeys,
      { ...binding, requestId: typeof requestId === 'string' ? requestId : undefined },
      {
        now: this.clock(),
        clockSkewSeconds: state.settings.identityHeader?.clockSkewSeconds,
      },
    );
    return result.ok ? result.identity : this.ignoredIdentity(result.reason);
  }

  /** Cache state of the JWKS endpoint, when one is configured. */
  jwksStats(): JwksStats | undefined {
    return this.state.jwt?.jwks?.stats();
  }

  private checkApiKey(state: CompiledAuth, key: string): AuthenticateResult {
    const result = state.apiKeys.verify(key);
    if (result.ok) {
      const { entry } = result;
      return {
        identity: {
          subject: entry.subject ?? entry.id,
          roles: entry.roles,
          method: 'apiKey',
          claims: { keyId: entry.id },
        },
      };
    }
    if (result.reason === 'revoked')
      this.logger?.warn({ event: { action: 'auth-revoked-key', outcome: 'failure' } }, 'a revoked API key was presented');
    else
      this.logger?.debug(
        { event: { action: 'auth-failed', outcome: 'failure', reason: 'unknown-api-key' } },
        'an unknown API key was presented',
      );
    return {
      problem: new FlotillaError('unauthenticated', 'The API key is not valid'),
      wwwAuthenticate: state.missingChallenge,
    };
  }

  /** A bearer token's result when it is known without verifying it; undefined: it must be verified. */
  private knownJwt(state: CompiledAuth, token: string): AuthenticateResult | undefined {
    if (state.jwt === undefined) {
      const description = 'Bearer tokens are not accepted here';
      return {
        problem: new FlotillaError('unauthenticated', description),
        wwwAuthenticate: bearerChallenge(state.settings.realm, { code: 'invalid_token', description }),
      };
    }
    const known = state.verifiedTokens.get(token, this.clock(), state.jwt.settings.clockSkewSeconds, state.jwt.jwks);
    return known === undefined ? undefined : { identity: known };
  }

  private async verifyJwt(state: CompiledAuth, jwt: NonNullable<CompiledAuth['jwt']>, token: string): Promise<AuthenticateResult> {
    const keySet = jwt.jwks;
    const result = await verifyJwt(token, jwt, this.clock);
    if (result.ok) {
      state.verifiedTokens.add(token, result.identity, this.clock(), keySet);
      return { identity: result.identity };
    }
    if (result.reason === 'keys-unavailable') {
      // Not the client's fault: a 401 would only make it fetch a new token that fails the same way.
      return {
        problem: new FlotillaError('unavailable', 'The token signing keys cannot be fetched right now'),
        wwwAuthenticate: undefined,
      };
    }
    const description = JWT_DESCRIPTIONS[result.reason];
    this.logger?.debug(
      { event: { action: 'auth-failed', outcome: 'failure', reason: result.reason } },
      `bearer token refused: ${result.reason}`,
    );
    return {
      problem: new FlotillaError('unauthenticated', description),
      wwwAuthenticate: bearerChallenge(state.settings.realm, { code: 'invalid_token', description }),
    };
  }

  private ignoredIdentity(reason: string): null {
    this.logger?.warn(
      { event: { action: 'identity-header-ignored', outcome: 'failure', reason } },
      `ignoring ${IDENTITY_HEADER}: ${reason}`,
    );
    return null;
  }
}
