/**
 * Authentication and authorisation. A route with an `auth` rule refuses a
 * request without an acceptable credential; a route without one still
 * learns who is calling when a later step asks for it (a rate limit keyed by
 * subject), and then a bad credential just leaves the caller anonymous.
 */
import type { AuthenticateResult, Authenticator } from '@flotilla/auth';
import type { AuthFailure } from '@flotilla/auth';
import type { RouteAuthRule } from '@flotilla/auth';
import { type Admission, ORDER, Refusal, type StepFactory, type StepResult } from '../admission.ts';
import type { Inbound } from '../inbound.ts';

export interface AuthenticateStepOptions {
  /** Accept the gateway's signed `x-flotilla-identity` (services behind the gateway). */
  trustIdentityHeader?: boolean;
}

export function authenticateStep(authenticator: Authenticator, options: AuthenticateStepOptions = {}): StepFactory {
  const trustIdentityHeader = options.trustIdentityHeader ?? false;
  return {
    order: ORDER.authenticate,
    compile(route, context) {
      const rule = route.auth;
      if (rule === undefined && !context.identityWanted) return undefined;
      const settle = (result: AuthenticateResult, admission: Admission): StepResult => {
        if ('problem' in result) return rule === undefined ? undefined : refusal(result);
        admission.identity = result.identity;
        return undefined;
      };
      return (inbound, admission) => {
        if (trustIdentityHeader && rule !== undefined) {
          const forwarded = fromGateway(authenticator, inbound, rule, admission);
          if (forwarded !== false) return forwarded;
        }
        const known = rule === undefined ? authenticator.authenticateNow(inbound.headers) : authenticator.checkNow(inbound.headers, rule);
        if (known !== undefined) return settle(known, admission);
        const verifying = rule === undefined ? authenticator.authenticate(inbound.headers) : authenticator.check(inbound.headers, rule);
        return verifying.then((result) => settle(result, admission));
      };
    },
  };
}

/** A verified gateway identity is trusted as is (no second token check); false when there is none. */
function fromGateway(authenticator: Authenticator, inbound: Inbound, rule: RouteAuthRule, admission: Admission): StepResult | false {
  const identity = authenticator.readIdentityHeader(inbound.headers, { method: inbound.method, target: inbound.url });
  if (identity === null) return false;
  const denied = authenticator.authorize(identity, rule);
  if (denied !== undefined) return refusal(denied);
  admission.identity = identity;
  return undefined;
}

function refusal(failure: AuthFailure): Refusal {
  return new Refusal(failure.problem, failure.wwwAuthenticate === undefined ? undefined : ['www-authenticate', failure.wwwAuthenticate]);
}
