/**
 * The `shedding` section every service config has (base schema). Defaults
 * are a safety net that a healthy service never reaches: a p90 event-loop
 * delay above one second, or a thousand requests in flight. (An idle
 * process on a busy 2-core CI machine sees ~150 ms at worst; a single long
 * stall — a major GC, a late module load — should not shed traffic.)
 */
import Type, { type Static } from 'typebox';

export const SHED_PRIORITIES = ['critical', 'high', 'low'] as const;
export type ShedPriority = (typeof SHED_PRIORITIES)[number];

export const SheddingConfig = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    /** Shed low-priority work when the p90 event-loop delay over `windowMs` exceeds this; high-priority at twice it. */
    maxEventLoopDelayMs: Type.Integer({ default: 1_000, minimum: 1 }),
    /** Shed low-priority work when this many requests are already in flight; high-priority at twice it. 0: no limit. */
    maxInFlight: Type.Integer({ default: 1_000, minimum: 0 }),
    /** The window the delay percentile is taken over; also how long shedding lasts after the loop is calm again. */
    windowMs: Type.Integer({ default: 1_000, minimum: 100, maximum: 60_000 }),
    /** How often the event loop's lateness is sampled. */
    sampleIntervalMs: Type.Integer({ default: 20, minimum: 5, maximum: 1_000 }),
    /** `Retry-After` on a shed request. */
    retryAfterSeconds: Type.Integer({ default: 1, minimum: 1 }),
    /** Paths (and everything below them) never shed, besides routes with `config: { shed: false }`. */
    neverShed: Type.Array(Type.String({ pattern: '^/' }), { default: ['/healthz', '/readyz', '/metrics', '/admin'] }),
  },
  { additionalProperties: false, default: {} },
);

export type SheddingSettings = Static<typeof SheddingConfig>;
