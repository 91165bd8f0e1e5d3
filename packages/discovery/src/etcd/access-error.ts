/**
 * etcd refusing who we are — a wrong password, no credentials where
 * authentication is on, a user without a role for our keys — is a
 * configuration problem, not an outage: it is reported at once, in words
 * that say what to fix, and not retried. The password never appears in it.
 */

export class EtcdAccessError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'EtcdAccessError';
  }
}

export interface EtcdIdentity {
  endpoints: readonly string[];
  /** undefined: no credentials configured. */
  username: string | undefined;
}

/** etcd's own words (etcdserver error strings) and what they mean for the configuration. */
const REFUSALS: ReadonlyArray<{ pattern: RegExp; explain: (who: string) => string }> = [
  {
    pattern: /authentication failed|user name not found/i,
    explain: (who) => `authentication failed for ${who}: wrong user name or password`,
  },
  {
    pattern: /user name is empty|UNAUTHENTICATED/i,
    explain: (who) => `${who} was refused: authentication is on, so a user name and password are needed`,
  },
  {
    pattern: /permission denied/i,
    explain: (who) => `permission denied for ${who}: grant it a role with read/write access to the registry's keys`,
  },
];

/** The EtcdAccessError `error` stands for, or undefined when it is something else (e.g. etcd unreachable). */
export function accessError(error: unknown, identity: EtcdIdentity): EtcdAccessError | undefined {
  if (error instanceof EtcdAccessError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const refusal = REFUSALS.find(({ pattern }) => pattern.test(message));
  if (refusal === undefined) return undefined;
  const who = identity.username === undefined ? 'a client without credentials' : `user "${identity.username}"`;
  return new EtcdAccessError(`etcd at ${identity.endpoints.join(',')}: ${refusal.explain(who)}`, { cause: error });
}
