/** What a route says about admission, whichever transport serves it (a Fastify route, a gateway route). */
import type { RouteAuthRule } from '@flotilla/auth';
import type { ShedPriority } from '@flotilla/resilience';

export interface RoutePolicy {
  /** The route's template: rate-limit buckets and metrics are per template, never per raw path. */
  readonly name: string;
  readonly auth?: RouteAuthRule | undefined;
  /** A rate-limit policy name; false: never limited; undefined: the limiter's route or default policy. */
  readonly rateLimit?: string | false | undefined;
  /** false: never shed (health, metrics, admin). */
  readonly shed?: boolean | undefined;
  /** The shedding priority the route fixes; undefined: the client's `x-flotilla-priority`. */
  readonly priority?: ShedPriority | undefined;
  /** Caps the client's own deadline. */
  readonly timeoutMs?: number | undefined;
}
