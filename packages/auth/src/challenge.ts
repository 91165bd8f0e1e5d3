/**
 * `WWW-Authenticate` values (RFC 9110 §11.6.1, RFC 6750 §3). A challenge
 * without `error` says "credentials needed"; with `invalid_token` it says
 * "the token you sent is no good"; `insufficient_scope` goes with a 403.
 */
export type BearerError = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

/** RFC 6750 allows only %x20-21 / %x23-5B / %x5D-7E inside error_description. */
const UNSAFE = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g;

function quoted(value: string): string {
  return `"${value.replace(UNSAFE, '')}"`;
}

export function bearerChallenge(realm: string, error?: { code: BearerError; description: string }): string {
  const base = `Bearer realm=${quoted(realm)}`;
  if (error === undefined) return base;
  return `${base}, error="${error.code}", error_description=${quoted(error.description)}`;
}

/** What a client is told when it sent no (usable) credentials: every scheme this server accepts. */
export function missingCredentialsChallenge(realm: string, schemes: { bearer: boolean; apiKey: boolean }): string {
  const challenges: string[] = [];
  if (schemes.bearer || !schemes.apiKey) challenges.push(bearerChallenge(realm));
  if (schemes.apiKey) challenges.push(`ApiKey realm=${quoted(realm)}`);
  return challenges.join(', ');
}
