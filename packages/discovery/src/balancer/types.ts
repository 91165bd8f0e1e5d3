/** Options, results and statistics of the client-side balancers. */
import type { Instance, InstancePorts } from '../types.ts';

export type BalancerStrategy = 'p2c' | 'round-robin' | 'consistent-hash';

export interface EjectionOptions {
  /** Consecutive failures that eject an instance (default 5). */
  consecutiveFailures: number;
  /** First ejection time (default 1000 ms); doubles with each ejection in a row. */
  baseEjectionMs: number;
  /** Longest ejection (default 30000 ms). */
  maxEjectionMs: number;
}

export interface BalancerOptions {
  /** Default `p2c`. */
  strategy?: BalancerStrategy;
  /** The caller's place: instances in its zone, then its region, are preferred while any of them is healthy. */
  locality?: { region: string; zone?: string };
  /** Passive health: eject after consecutive failures, re-admit after exponential backoff. `false` turns it off. */
  ejection?: Partial<EjectionOptions> | false;
  /** Only instances serving this protocol; picks then carry `target` (`host:port`). */
  port?: keyof InstancePorts;
  /** Extra filter (e.g. a version or canary label). */
  filter?: (instance: Instance) => boolean;
  p2c?: {
    /** Time constant of the latency EWMA (default 1000 ms): older samples fade with e^(-Δt/τ). */
    decayMs?: number;
    /** An instance not picked for this long is picked next, to refresh its latency (default 1000 ms). */
    forcePickMs?: number;
    /** Latency recorded for a failed request, if larger than the measured one (default 500 ms). */
    failurePenaltyMs?: number;
  };
  /** Consistent hash ring: virtual nodes per instance at weight 100 (default 160, scaled by weight). */
  hash?: { virtualNodes?: number };
}

export interface PickOutcome {
  ok: boolean;
  /** Measured latency; when omitted, the time since `pick()` is used. */
  latencyMs?: number;
}

/** One request's claim on an instance. Call `done` exactly once when the request ends (later calls are ignored). */
export interface PickedInstance {
  instance: Instance;
  /** `host:port` for the balancer's `port` protocol, when one was given. */
  target: string | undefined;
  done(outcome: PickOutcome): void;
}

export interface InstanceStats {
  id: string;
  region: string;
  zone: string;
  /** Requests picked and not done yet. */
  inflight: number;
  /** Latency EWMA in ms, undefined before the first sample. */
  ewmaLatencyMs: number | undefined;
  consecutiveFailures: number;
  /** Ejected now (passive health). */
  ejected: boolean;
  /** How many ejections in a row (the backoff exponent). */
  ejections: number;
  picks: number;
}

export interface Balancer {
  /** Picks an instance; `key` is used by `consistent-hash`. Throws NoInstanceError when none is available. */
  pick(key?: string): PickedInstance;
  stats(): InstanceStats[];
  /** Stops following the instance set. */
  close(): void;
}
