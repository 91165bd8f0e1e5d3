// Why a Database cannot be reconciled right now, as a condition reason and a message for
// its status. Messages never carry a password or a DSN: driver errors are translated
// into these (a driver error may quote the statement, and a statement may hold a password).

export const Reasons = {
  Ready: 'Provisioned',
  Deleting: 'Deleting',
  ServerSecretNotFound: 'ServerSecretNotFound',
  ServerSecretKeyMissing: 'ServerSecretKeyMissing',
  InvalidServerDSN: 'InvalidServerDSN',
  ServerUnreachable: 'ServerUnreachable',
  ServerAuthenticationFailed: 'ServerAuthenticationFailed',
  InsufficientPrivileges: 'InsufficientPrivileges',
  ServerError: 'ServerError',
  Busy: 'Busy',
  NameConflict: 'NameConflict',
  SecretConflict: 'SecretConflict',
  CredentialsRejected: 'CredentialsRejected',
  KubernetesError: 'KubernetesError',
} as const;

export type Reason = (typeof Reasons)[keyof typeof Reasons];

export class ProvisioningError extends Error {
  readonly code = 'database-provisioning';
  readonly reason: Reason;
  /**
   * A conflict waits for someone to resolve it, so it is checked again at the resync
   * period; anything else is retried with the work queue's backoff.
   */
  readonly conflict: boolean;

  constructor(reason: Reason, message: string, options: { conflict?: boolean } = {}) {
    super(message);
    this.name = 'ProvisioningError';
    this.reason = reason;
    this.conflict = options.conflict ?? false;
  }
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ETIMEDOUT',
  'PROTOCOL_CONNECTION_LOST',
]);
/** PostgreSQL SQLSTATEs and MySQL error names for refused credentials. */
const AUTH_FAILED = new Set(['28P01', '28000', 'ER_ACCESS_DENIED_ERROR', 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR']);
const NO_PRIVILEGE = new Set(['42501', 'ER_DBACCESS_DENIED_ERROR', 'ER_TABLEACCESS_DENIED_ERROR', 'ER_SPECIFIC_ACCESS_DENIED_ERROR']);

export function driverCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isAuthenticationFailure(error: unknown): boolean {
  const code = driverCode(error);
  return code !== undefined && AUTH_FAILED.has(code);
}

function isUnreachable(error: unknown): boolean {
  const code = driverCode(error);
  if (code !== undefined && UNREACHABLE.has(code)) return true;
  // pg reports its own connect timeout and a dropped socket without a code.
  const message = error instanceof Error ? error.message : '';
  return /connection timeout|Connection terminated|timeout expired/i.test(message);
}

/**
 * A driver error as a ProvisioningError. `doing` says what was attempted; the driver's
 * message is kept only when `quotable` (the statement held no secret).
 */
export function fromDriverError(error: unknown, where: string, doing: string, quotable = true): ProvisioningError {
  if (error instanceof ProvisioningError) return error;
  const code = driverCode(error);
  if (isUnreachable(error)) return new ProvisioningError(Reasons.ServerUnreachable, `cannot reach ${where}${code ? ` (${code})` : ''}`);
  if (isAuthenticationFailure(error))
    return new ProvisioningError(Reasons.ServerAuthenticationFailed, `${where} refused the administrator credentials (${code})`);
  const detail = quotable && error instanceof Error ? `: ${error.message}` : '';
  const reason = code !== undefined && NO_PRIVILEGE.has(code) ? Reasons.InsufficientPrivileges : Reasons.ServerError;
  return new ProvisioningError(reason, `${doing} failed on ${where}${code ? ` (${code})` : ''}${detail}`);
}
