export { Authenticator, type AuthenticatorOptions, type AuthenticateResult } from './authenticator.ts';
export { isAuthFailure, hasAnyRole, type AuthFailure, type AuthMethod, type Identity } from './identity.ts';
export {
  IDENTITY_HEADER,
  signIdentity,
  verifyIdentityHeader,
  type IdentityBinding,
  type IdentityHeaderResult,
  type IdentityHeaderRejection,
  type SignIdentityOptions,
  type VerifyIdentityOptions,
} from './identity-header.ts';
export { API_KEY_PREFIX, generateApiKey, hashApiKey } from './api-keys.ts';
export { API_KEY_HEADER, type HeaderBag } from './credentials.ts';
export { authSettingsProblems } from './compile-settings.ts';
export type { JwksStats } from './jwks.ts';
export type { JwtRejection } from './jwt-verifier.ts';
export type { AuthLogger } from './logger.ts';
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
} from './settings.ts';
export { parseAuthSettings } from './parse-settings.ts';
