/**
 * The governance part of the gateway's config: who may call (auth), how
 * often (rateLimit), how upstream calls are guarded (resilience: deadlines,
 * retries with budgets, breakers, bulkheads, faults) and who may read the
 * admin endpoints. Every key is hot-reloadable through the config centre.
 */
import { AuthSettings, RouteAuth } from '@flotilla/http';
import { RateLimitSettings, ResilienceSettings } from '@flotilla/resilience';
import type { RoutePolicy as AdmissionPolicy } from '@flotilla/pipeline';
import Type, { type Static } from 'typebox';

export const AdminSettings = Type.Object(
  {
    /** Any of these roles may read `/admin/*`; with no auth configured, the admin endpoints answer 401. */
    roles: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, default: ['admin'] }),
  },
  { additionalProperties: false, default: {} },
);

/** What a route or aggregation may say about governance. */
export const RoutePolicyFields = {
  auth: Type.Optional(RouteAuth),
  /** A policy name from `rateLimit.policies`, or false for none (the default policy applies otherwise). */
  rateLimit: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Literal(false)])),
  /** Shedding: `low` work goes first, `critical` never. Clients cannot choose it. */
  priority: Type.Optional(Type.Union([Type.Literal('critical'), Type.Literal('high'), Type.Literal('low')])),
};

export const GatewayPolicyFields = {
  auth: AuthSettings,
  rateLimit: RateLimitSettings,
  resilience: ResilienceSettings,
  admin: AdminSettings,
};

export type AdminSettings = Static<typeof AdminSettings>;
export type RoutePriority = 'critical' | 'high' | 'low';

/** The governance fields a compiled route carries: the kit's admission policy, with the gateway's fixed priority. */
export interface RoutePolicy extends AdmissionPolicy {
  readonly priority: RoutePriority;
}
