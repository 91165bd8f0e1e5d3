/**
 * The gateway's admission: the kit's pipeline steps (shedding → authentication
 * → rate limit → deadline), the same ones every service's Fastify routes run,
 * compiled once per route and again after the policies are reloaded. A
 * refusal becomes the problem the client is sent.
 */
import { type Admit, compileAdmission, deadlineStep, type Refusal, type StepFactory } from '@flotilla/pipeline';
import { authenticateStep, rateLimitStep, shedStep } from '@flotilla/pipeline';
import type { GatewayProblem } from '../proxy/problem.ts';
import type { RoutePolicy } from './settings.ts';
import type { Authenticator } from '@flotilla/http';
import type { LoadShedder, RateLimiter } from '@flotilla/resilience';

/** What the steps check against; both are updated in place on reload. */
export interface AdmissionPolicies {
  readonly authenticator: Authenticator;
  readonly limiter: RateLimiter;
}

export class GatewayAdmission {
  readonly #policies: AdmissionPolicies;
  #shedder: LoadShedder | undefined;
  #factories: readonly StepFactory[] = [];
  #compiled = new WeakMap<RoutePolicy, Admit>();

  constructor(policies: AdmissionPolicies) {
    this.#policies = policies;
    this.invalidate();
  }

  /** The server's shedder: one in-flight count for the gateway's own Fastify routes and the routed ones. */
  useShedder(shedder: LoadShedder | undefined): void {
    this.#shedder = shedder;
    this.invalidate();
  }

  /** Drops the compiled routes (the policies changed: which routes need an identity, say). */
  invalidate(): void {
    const policies = this.#policies;
    this.#factories = [
      ...(this.#shedder === undefined ? [] : [shedStep(this.#shedder)]),
      authenticateStep(policies.authenticator),
      rateLimitStep(policies.limiter),
      deadlineStep,
    ];
    this.#compiled = new WeakMap();
  }

  for(route: RoutePolicy): Admit {
    let admit = this.#compiled.get(route);
    if (admit === undefined) {
      admit = compileAdmission(route, this.#factories);
      this.#compiled.set(route, admit);
    }
    return admit;
  }
}

export function refusalProblem(refusal: Refusal): GatewayProblem {
  const { error } = refusal;
  return {
    code: error.code,
    detail: error.message,
    ...(error.details === undefined ? {} : { extensions: error.details }),
    ...(refusal.headers.length === 0 ? {} : { headers: [...refusal.headers] }),
    status: error.httpStatus,
  };
}
