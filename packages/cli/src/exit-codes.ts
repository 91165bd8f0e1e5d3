/**
 * The CLI's exit codes, stable so scripts can branch on them, and the one
 * place that turns an error into a message on stderr and a code.
 */
import { ConfigError } from '@flotilla/config';
import { isFlotillaError } from '@flotilla/kit';

export const EXIT = {
  ok: 0,
  /** Bad arguments or options (commander uses 1 as well). */
  usage: 1,
  notFound: 2,
  conflict: 3,
  /** YAML syntax, or the document breaks the service's schema. */
  invalid: 4,
  /** The config backend or registry cannot be reached. */
  unavailable: 5,
  /** The backend refused us: Kubernetes RBAC (403) or rejected credentials (401). */
  forbidden: 6,
  /** A bug: anything not foreseen above. */
  internal: 70,
} as const;

export function exitCodeFor(error: unknown): number {
  if (error instanceof ConfigError) return EXIT.invalid;
  if (!isFlotillaError(error)) return EXIT.internal;
  switch (error.code) {
    case 'not-found':
      return EXIT.notFound;
    case 'conflict':
    case 'precondition-failed':
      return EXIT.conflict;
    case 'unavailable':
    case 'deadline-exceeded':
      return EXIT.unavailable;
    case 'forbidden':
    case 'unauthenticated':
      return EXIT.forbidden;
    case 'unprocessable':
      return EXIT.invalid;
    case 'validation':
    case 'bad-request':
      return EXIT.usage;
    default:
      return EXIT.internal;
  }
}

/** A usage problem found after parsing (e.g. two inputs given). */
export class UsageError extends Error {}

/** Prints the error (as JSON under --json) on stderr and exits with its code. */
export function fail(error: unknown, json: boolean): never {
  const code = error instanceof UsageError ? EXIT.usage : exitCodeFor(error);
  const message = error instanceof Error ? error.message : String(error);
  if (json) {
    const kind = error instanceof UsageError ? 'usage' : isFlotillaError(error) ? error.code : 'internal';
    const details = isFlotillaError(error) ? error.details : undefined;
    const problems = error instanceof ConfigError ? error.problems.map((p) => ({ key: p.key, rule: p.rule })) : undefined;
    process.stderr.write(
      `${JSON.stringify({ error: { code: kind, exitCode: code, message, ...(details === undefined ? {} : { details }), ...(problems === undefined ? {} : { problems }) } })}\n`,
    );
  } else {
    process.stderr.write(`flotilla: ${message}\n`);
    if (code === EXIT.internal && error instanceof Error && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
  }
  process.exit(code);
}

/** Wraps a command action: errors become messages and exit codes. */
export function action<A extends unknown[]>(work: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await work(...args);
    } catch (error) {
      fail(error, process.argv.includes('--json'));
    }
  };
}
