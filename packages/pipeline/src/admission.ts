/**
 * Admission: the transport-neutral steps a request passes before any work,
 * compiled once per route into one function. Each step either lets the
 * request on (recording what it learnt on the Admission) or refuses it.
 * The steps run synchronously for as long as none needs I/O; only a step
 * that returns a promise (a token seen for the first time, a limit kept in
 * Redis) makes the rest asynchronous.
 */
import type { FlotillaError } from '@flotilla/core';
import type { Identity } from '@flotilla/auth';
import { Deadline } from '@flotilla/core';
import type { Inbound } from './inbound.ts';
import type { RoutePolicy } from './route-policy.ts';

const NO_HEADERS: readonly string[] = [];

/** What the steps learnt about an admitted request. */
export class Admission {
  /** The verified caller; null when anonymous or not asked. */
  identity: Identity | null = null;
  /** Headers every answer must carry, refusals included (`RateLimit-Policy`/`RateLimit`), as [name, value, …]. */
  responseHeaders: readonly string[] = NO_HEADERS;
  deadline: Deadline = Deadline.NONE;

  addResponseHeaders(headers: readonly string[]): void {
    this.responseHeaders = this.responseHeaders.length === 0 ? headers : [...this.responseHeaders, ...headers];
  }
}

/** A refused request: the error to answer with and the headers that go with it (`Retry-After`, `WWW-Authenticate`…). */
export class Refusal {
  readonly error: FlotillaError;
  readonly headers: readonly string[];

  constructor(error: FlotillaError, headers: readonly string[] = NO_HEADERS) {
    this.error = error;
    this.headers = headers;
  }
}

export type StepResult = Refusal | undefined;

/** One step, compiled for one route. */
export type Step = (inbound: Inbound, admission: Admission) => StepResult | Promise<StepResult>;

/** What one step's compilation may know of the others on the same route. */
export interface CompileContext {
  /** A later step needs the caller's identity (a rate limit keyed by subject): authenticate even without an auth rule. */
  readonly identityWanted: boolean;
}

/** Compiles a step for a route; undefined when the step has nothing to do there. */
export interface StepFactory {
  /** The step's place in the one documented order (see ORDER). */
  readonly order: StepOrder;
  compile(route: RoutePolicy, context: CompileContext): Step | undefined;
  /** Whether this step, on this route, uses the identity an earlier step verifies. */
  needsIdentity?(route: RoutePolicy): boolean;
}

/** shedding → authentication → rate limit → deadline: cheapest refusal first, the deadline clock started last. */
export const ORDER = { shed: 1, authenticate: 2, rateLimit: 3, deadline: 4 } as const;
export type StepOrder = (typeof ORDER)[keyof typeof ORDER];

export type Admit = (inbound: Inbound) => Admission | Refusal | Promise<Admission | Refusal>;

/** The route's steps in order, as one function. */
export function compileAdmission(route: RoutePolicy, factories: readonly StepFactory[]): Admit {
  const steps: Step[] = [];
  const context: CompileContext = { identityWanted: factories.some((factory) => factory.needsIdentity?.(route) === true) };
  for (const factory of [...factories].sort((a, b) => a.order - b.order)) {
    const step = factory.compile(route, context);
    if (step !== undefined) steps.push(step);
  }
  return (inbound) => run(steps, 0, inbound, new Admission());
}

function run(
  steps: readonly Step[],
  from: number,
  inbound: Inbound,
  admission: Admission,
): Admission | Refusal | Promise<Admission | Refusal> {
  for (let i = from; i < steps.length; i++) {
    const result = (steps[i] as Step)(inbound, admission);
    if (result === undefined) continue;
    if (result instanceof Refusal) return result;
    return result.then((later) => later ?? run(steps, i + 1, inbound, admission));
  }
  return admission;
}
