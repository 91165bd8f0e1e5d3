/**
 * The one shape every resilience policy has (cockatiel's, narrowed to what
 * Flotilla needs): `execute(fn, options)` runs `fn` under the policy and
 * hands it an ExecutionContext — the signal to stop on, the deadline, the
 * attempt number. Policies nest with `wrap(outer, ..., inner)`.
 */
import { currentContext, currentDeadline } from '@flotilla/core';
import type { FlotillaError } from '@flotilla/core';
import { Cancellation } from '@flotilla/core';
import { Deadline } from '@flotilla/core';
import type { FaultSpec } from './fault/fault-spec.ts';

/** What a policy hands to the function it runs. */
export interface ExecutionContext {
  /** Stop when this fires: the caller went away or (inside a DeadlinePolicy) the deadline passed. */
  readonly cancellation: Cancellation;
  /** The same as an AbortSignal, for APIs that take one (fetch, gRPC); made on first use. */
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
  /** How long FaultPolicy delayed this attempt before running it (0: not delayed); the upstream's anomaly detector counts it. */
  readonly faultDelayMs: number;
}

/** What a caller may pass to `execute`; anything left out comes from the request context or a default. */
export interface ExecuteOptions<T = unknown> {
  /** The caller's signal; or `cancellation`, which is cheaper when the caller makes its own. */
  signal?: AbortSignal | undefined;
  cancellation?: Cancellation | undefined;
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

export type StepOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A step that refused the call: the error, and the answer instead (a rejection, or a fallback's value). */
export interface StepRefusal {
  readonly error: unknown;
  readonly answer: Promise<unknown>;
}

/**
 * The synchronous form of a policy that only acts before and after the call
 * (a bulkhead's slot, a breaker's admission), which `wrap()` fuses with its
 * neighbours. `enter` lets the call on (undefined), makes it wait (a promise;
 * rejected: refused), or refuses it; `leave` runs once for every entry that
 * let the call on, when the call settled.
 */
export interface PolicyStep {
  enter(context: ExecutionContext): undefined | Promise<void> | StepRefusal;
  leave(context: ExecutionContext, outcome: StepOutcome): void;
}

/** A policy with a synchronous form for `wrap()` to fuse. */
export interface SteppedPolicy extends Policy {
  readonly step: PolicyStep;
}

/** A complete context: a policy handed one by an outer policy uses it as is. */
class Execution implements ExecutionContext {
  readonly cancellation: Cancellation;
  readonly deadline: Deadline;
  readonly attempt: number;
  readonly idempotent: boolean;
  readonly failureOf: ((result: unknown) => unknown) | undefined;
  readonly fault: FaultSpec | undefined;
  readonly fallback: ((error: FlotillaError) => unknown) | undefined;
  readonly faultDelayMs: number;

  constructor(
    cancellation: Cancellation,
    deadline: Deadline,
    attempt: number,
    idempotent: boolean,
    failureOf: ((result: unknown) => unknown) | undefined,
    fault: FaultSpec | undefined,
    fallback: ((error: FlotillaError) => unknown) | undefined,
    faultDelayMs = 0,
  ) {
    this.cancellation = cancellation;
    this.deadline = deadline;
    this.attempt = attempt;
    this.idempotent = idempotent;
    this.failureOf = failureOf;
    this.fault = fault;
    this.fallback = fallback;
    this.faultDelayMs = faultDelayMs;
  }

  get signal(): AbortSignal {
    return this.cancellation.signal;
  }
}

/** Fills what the caller left out: cancellation and deadline from the request context, first attempt, not idempotent. */
export function executionContext<T>(options: ExecuteOptions<T> | undefined): ExecutionContext {
  if (options instanceof Execution) return options;
  let cancellation = options?.cancellation;
  if (cancellation === undefined) {
    const signal = options?.signal ?? currentContext()?.signal;
    cancellation = signal === undefined ? Cancellation.NEVER : Cancellation.fromSignal(signal);
  }
  return new Execution(
    cancellation,
    options?.deadline ?? currentDeadline() ?? Deadline.NONE,
    options?.attempt ?? 1,
    options?.idempotent ?? false,
    options?.failureOf as ExecutionContext['failureOf'],
    options?.fault,
    options?.fallback as ExecutionContext['fallback'],
  );
}

export type ContextChanges = Partial<Omit<ExecutionContext, 'signal'>> & { signal?: AbortSignal };

/** `base` with some fields changed (e.g. its own cancellation, the next attempt), complete for the next policy. */
export function deriveContext(base: ExecutionContext, changes: ContextChanges): ExecutionContext {
  const cancellation = changes.cancellation ?? (changes.signal === undefined ? base.cancellation : Cancellation.fromSignal(changes.signal));
  return new Execution(
    cancellation,
    changes.deadline ?? base.deadline,
    changes.attempt ?? base.attempt,
    changes.idempotent ?? base.idempotent,
    'failureOf' in changes ? changes.failureOf : base.failureOf,
    'fault' in changes ? changes.fault : base.fault,
    'fallback' in changes ? changes.fallback : base.fallback,
    changes.faultDelayMs ?? base.faultDelayMs,
  );
}

/** Runs `fn`; a synchronous throw becomes a rejected promise, as it would from an async function. */
export function invoke<T>(fn: Operation<T>, context: ExecutionContext): Promise<T> {
  try {
    return fn(context);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** A complete context as the options of an inner policy's `execute`. */
export function asOptions<T>(context: ExecutionContext): ExecuteOptions<T> {
  return context as unknown as ExecuteOptions<T>;
}
