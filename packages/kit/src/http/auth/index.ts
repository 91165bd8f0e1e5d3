export { Authenticator, type AuthenticatorOptions, type AuthenticateResult } from './authenticator.js';
export { registerAuth, type RegisterAuthOptions } from './fastify.js';
export { isAuthFailure, hasAnyRole, type AuthFailure, type AuthMethod, type Identity } from './identity.js';
export { IDENTITY_HEADER, signIdentity, verifyIdentityHeader, type IdentityBinding, type IdentityHeaderResult, type IdentityHeaderRejection, type SignIdentityOptions, type VerifyIdentityOptions } from './identity-header.js';
export { API_KEY_PREFIX, generateApiKey, hashApiKey } from './api-keys.js';
export { API_KEY_HEADER, type HeaderBag } from './credentials.js';
export { authSettingsProblems } from './compile-settings.js';
export type { JwksStats } from './jwks.js';
export type { JwtRejection } from './jwt-verifier.js';
export type { AuthLogger } from './logger.js';
export {
  AuthSettings,
  ApiKeySettings,
  IdentityHeaderSettings,
  JwksSettings,
  JwtSettings,
  RouteAuth,
  StaticJwtKey,
  JWT_ALGORITHMS,
  type JwtAlgorithm,
  type RouteAuthRule,
} from './settings.js';
export { parseAuthSettings } from './parse-settings.js';
