/**
 * The `auth` config section (TypeBox): JWT verification, API keys and the
 * signed identity header the gateway hands to services, plus the per-route
 * rule. Fields holding secrets are named `secret` / `previousSecret` so the
 * config layer masks them (see config/secrets.ts); API keys are stored only
 * as hashes, which are safe to show.
 */
import Type, { type Static } from 'typebox';

const strict = { additionalProperties: false } as const;

export const JWT_ALGORITHMS = ['HS256', 'RS256', 'ES256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];
export type AsymmetricAlgorithm = Exclude<JwtAlgorithm, 'HS256'>;

/** A role name as it appears in config and tokens: no whitespace. */
const Role = Type.String({ minLength: 1, maxLength: 128, pattern: '^\\S+$' });
const OneOrMany = Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })]);
/** HMAC keys at least as long as the SHA-256 output (RFC 7518 §3.2). */
const HmacSecret = Type.String({ minLength: 32 });

export const StaticJwtKey = Type.Object(
  {
    /** Matches the token's `kid`; a key without one is tried for every token of its algorithm. */
    kid: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    alg: Type.Optional(Type.Enum(['RS256', 'ES256'])),
    /** An SPKI public key or an X.509 certificate in PEM. Never a private key. */
    pem: Type.Optional(Type.String({ pattern: '-----BEGIN (PUBLIC KEY|CERTIFICATE)-----' })),
    /** A public JWK (`kty` RSA or EC). */
    jwk: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  strict,
);

export const JwksSettings = Type.Object(
  {
    url: Type.String({ pattern: '^https?://' }),
    /** Cache lifetime when the response has no `max-age`, and the upper bound when it has one. */
    cacheSeconds: Type.Integer({ default: 600, minimum: 1 }),
    /** Lower bound on the cache lifetime (also used for `no-store` / `no-cache`). */
    minCacheSeconds: Type.Integer({ default: 30, minimum: 0 }),
    /** At most one fetch per this many seconds, however many unknown `kid`s arrive. */
    refetchCooldownSeconds: Type.Integer({ default: 10, minimum: 1 }),
    timeoutMs: Type.Integer({ default: 5_000, minimum: 100 }),
  },
  strict,
);

export const JwtSettings = Type.Object(
  {
    /** Accepted `iss` value(s); required so that a token from another issuer never passes. */
    issuer: OneOrMany,
    /** Accepted `aud` value(s); the token must name at least one. */
    audience: OneOrMany,
    /** HS256 must be listed explicitly; a token whose `alg` is not here is rejected. */
    algorithms: Type.Array(Type.Enum([...JWT_ALGORITHMS]), { minItems: 1, default: ['RS256', 'ES256'] }),
    /** HS256 shared secret (use `${JWT_SECRET}`). */
    secret: Type.Optional(HmacSecret),
    /** Still accepted while a new `secret` rolls out. */
    previousSecret: Type.Optional(HmacSecret),
    jwks: Type.Optional(JwksSettings),
    keys: Type.Array(StaticJwtKey, { default: [] }),
    clockSkewSeconds: Type.Integer({ default: 30, minimum: 0, maximum: 300 }),
    /** Reject tokens without `exp` (default) — a token that never expires cannot be contained. */
    requireExpiry: Type.Boolean({ default: true }),
    /** Dotted path of the roles claim (`roles`, `realm_access.roles`, `scope`); an array or a space-separated string. */
    rolesClaim: Type.String({ default: 'roles', minLength: 1 }),
  },
  strict,
);

export const ApiKeySettings = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 128 }),
    /** The identity's subject; defaults to `id`. */
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    /** `sha256:<64 hex>` of the key (see `hashApiKey`). */
    hash: Type.String({ pattern: '^sha256:[0-9a-f]{64}$' }),
    roles: Type.Array(Role, { default: [] }),
    /** Kept on record but refused (and logged when presented). */
    revoked: Type.Boolean({ default: false }),
  },
  strict,
);

export const IdentityHeaderSettings = Type.Object(
  {
    /** HMAC key shared by the gateway (signs) and services (verify). */
    secret: HmacSecret,
    /** Still verified while a new `secret` rolls out; never used to sign. */
    previousSecret: Type.Optional(HmacSecret),
    ttlSeconds: Type.Integer({ default: 30, minimum: 1, maximum: 600 }),
    clockSkewSeconds: Type.Integer({ default: 5, minimum: 0, maximum: 60 }),
  },
  strict,
);

export const AuthSettings = Type.Object(
  {
    /** The `realm` of every `WWW-Authenticate` challenge (quoted-string safe). */
    realm: Type.String({ default: 'flotilla', pattern: '^[\\x20\\x21\\x23-\\x5B\\x5D-\\x7E]{1,64}$' }),
    jwt: Type.Optional(JwtSettings),
    apiKeys: Type.Array(ApiKeySettings, { default: [] }),
    identityHeader: Type.Optional(IdentityHeaderSettings),
  },
  { ...strict, default: {} },
);

/** A route's rule: `required` (default true) and roles, any one of which suffices. */
export const RouteAuth = Type.Object(
  {
    required: Type.Boolean({ default: true }),
    roles: Type.Array(Role, { default: [] }),
  },
  strict,
);

export type StaticJwtKey = Static<typeof StaticJwtKey>;
export type JwksSettings = Static<typeof JwksSettings>;
export type JwtSettings = Static<typeof JwtSettings>;
export type ApiKeySettings = Static<typeof ApiKeySettings>;
export type IdentityHeaderSettings = Static<typeof IdentityHeaderSettings>;
export type AuthSettings = Static<typeof AuthSettings>;

/** What a route declares; omitted fields take the schema defaults (required: true, any role). */
export interface RouteAuthRule {
  required?: boolean;
  roles?: readonly string[];
}
