/**
 * The one shape every resilience policy has (cockatiel's, narrowed to what
 * Flotilla needs): `execute(fn, options)` runs `fn` under the policy and
 * hands it an ExecutionContext — the signal to stop on, the deadline, the
 * attempt number. Policies nest with `wrap(outer, ..., inner)`.
 */
import { currentContext, currentDeadline } from '../context.js';
import type { FlotillaError } from '../errors.js';
import { NEVER_ABORTED } from './clock.js';
import { Deadline } from './deadline.js';
import type { FaultSpec } from './fault/fault-spec.js';

/** What a policy hands to the function it runs. */
export interface ExecutionContext {
  /** Stop when this fires: the caller went away or (inside a DeadlinePolicy) the deadline passed. */
  readonly signal: AbortSignal;
  readonly deadline: Deadline;
  /** 1 for the first try, 2 for the first retry…: pick another instance when it is above 1. */
  readonly attempt: number;
  /** The caller vouches that repeating the call is safe; RetryPolicy retries only then. */
  readonly idempotent: boolean;
  /** Classifies a resolved value as a failure (returns the error it stands for), e.g. a proxied 503. */
  readonly failureOf: ((result: unknown) => unknown) | undefined;
  /** An on-demand fault for this call (from `x-flotilla-fault`), applied by FaultPolicy. */
  readonly fault: FaultSpec | undefined;
  /** Answers instead of failing when a breaker rejects the call (partial results). */
  readonly fallback: ((error: FlotillaError) => unknown) | undefined;
}

/** What a caller may pass to `execute`; anything left out comes from the request context or a default. */
export interface ExecuteOptions<T = unknown> {
  signal?: AbortSignal | undefined;
  /** Default: the request context's deadline (currentDeadline()), else none. */
  deadline?: Deadline | undefined;
  idempotent?: boolean | undefined;
  attempt?: number | undefined;
  failureOf?: ((result: T) => unknown) | undefined;
  fault?: FaultSpec | undefined;
  fallback?: ((error: FlotillaError) => T | Promise<T>) | undefined;
}

export type Operation<T> = (context: ExecutionContext) => Promise<T>;

export interface Policy {
  execute<T>(fn: Operation<T>, options?: ExecuteOptions<T>): Promise<T>;
}

// Contexts built here are complete: a policy handed one by an outer policy uses it as is.
const complete = new WeakSet<object>();

/** Fills what the caller left out: signal and deadline from the request context, first attempt, not idempotent. */
export function executionContext<T>(options: ExecuteOptions<T> | undefined): ExecutionContext {
  if (options !== undefined && complete.has(options)) return options as ExecutionContext;
  const request = options?.signal === undefined ? currentContext() : undefined;
  const context: ExecutionContext = {
    signal: options?.signal ?? request?.signal ?? NEVER_ABORTED,
    deadline: options?.deadline ?? currentDeadline() ?? Deadline.NONE,
    attempt: options?.attempt ?? 1,
    idempotent: options?.idempotent ?? false,
    failureOf: options?.failureOf as ExecutionContext['failureOf'],
    fault: options?.fault,
    fallback: options?.fallback as ExecutionContext['fallback'],
  };
  complete.add(context);
  return context;
}

/** `base` with some fields changed (e.g. a combined signal, the next attempt), complete for the next policy. */
export function deriveContext(base: ExecutionContext, changes: Partial<ExecutionContext>): ExecutionContext {
  const next = { ...base, ...changes };
  complete.add(next);
  return next;
}

/** A complete context as the options of an inner policy's `execute`. */
export function asOptions<T>(context: ExecutionContext): ExecuteOptions<T> {
  return context as unknown as ExecuteOptions<T>;
}
