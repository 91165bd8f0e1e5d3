/**
 * createBalancer: client-side load balancing over a live InstanceSet.
 *
 * Each pick narrows the set step by step:
 *   1. eligible  = serving, weight > 0, serves `port`, passes `filter`;
 *   2. healthy   = eligible minus ejected instances (if that leaves nothing,
 *                  every eligible instance is used: better a likely failure
 *                  than a certain one);
 *   3. tier      = the closest locality tier of those (zone, region, remote);
 *   4. strategy  = P2C (default), smooth weighted round robin, or a
 *                  consistent-hash ring on the pick key.
 * `done()` feeds latency and failures back into steps 2 and 4.
 */
import { performance } from 'node:perf_hooks';
import { instanceTarget } from '../instance.ts';
import type { Instance, InstanceChange, InstanceSet } from '../types.ts';
import { HashRing } from './consistent-hash.ts';
import { EndpointState } from './endpoint-state.ts';
import { closestTier } from './locality.ts';
import { NoInstanceError } from './no-instance-error.ts';
import { pickP2C } from './p2c.ts';
import { SmoothRoundRobin } from './round-robin.ts';
import type { Balancer, BalancerOptions, EjectionOptions, InstanceStats, PickedInstance, PickOutcome } from './types.ts';

const DEFAULT_EJECTION: EjectionOptions = { consecutiveFailures: 5, baseEjectionMs: 1000, maxEjectionMs: 30_000 };

export function createBalancer(options: BalancerOptions, instances: InstanceSet): Balancer {
  const strategy = options.strategy ?? 'p2c';
  const ejection = options.ejection === false ? undefined : { ...DEFAULT_EJECTION, ...options.ejection };
  const decayMs = options.p2c?.decayMs ?? 1000;
  const forcePickMs = options.p2c?.forcePickMs ?? 1000;
  const failurePenaltyMs = options.p2c?.failurePenaltyMs ?? 500;
  const states = new Map<string, EndpointState>();
  const roundRobin = new SmoothRoundRobin();
  const ring = new HashRing(options.hash?.virtualNodes);

  const stateOf = (id: string): EndpointState => {
    let state = states.get(id);
    if (state === undefined) {
      state = new EndpointState();
      states.set(id, state);
    }
    return state;
  };

  const isEligible = (instance: Instance): boolean =>
    instance.health === 'serving' &&
    instance.weight > 0 &&
    (options.port === undefined || instance.ports[options.port] !== undefined) &&
    (options.filter === undefined || options.filter(instance));

  let eligible: readonly Instance[] = [];
  const refresh = (all: readonly Instance[], change?: InstanceChange): void => {
    eligible = all.filter(isEligible);
    if (strategy === 'consistent-hash') ring.build(eligible);
    for (const removed of change?.removed ?? []) {
      // In-flight requests to a removed instance finish against a detached state; nothing to keep.
      states.delete(removed.id);
      roundRobin.forget(removed.id);
    }
  };
  refresh(instances.snapshot());
  const unsubscribe = instances.subscribe((change) => refresh(change.instances, change));

  const choose = (candidates: readonly Instance[], key: string | undefined, now: number): Instance => {
    if (strategy === 'round-robin') return roundRobin.pick(candidates);
    if (strategy === 'consistent-hash' && key !== undefined) {
      const owner = ring.lookup(key, new Set(candidates.map((c) => c.id)));
      const found = candidates.find((c) => c.id === owner);
      if (found !== undefined) return found;
    }
    return pickP2C(candidates, stateOf, now, forcePickMs);
  };

  return {
    pick(key?: string): PickedInstance {
      if (eligible.length === 0)
        throw new NoInstanceError(instances.service, instances.snapshot().length === 0 ? 'none-registered' : 'none-eligible');
      const now = performance.now();
      const healthy = eligible.filter((instance) => !stateOf(instance.id).isEjected(now));
      const candidates = closestTier(healthy.length > 0 ? healthy : eligible, options.locality);
      const instance = choose(candidates, key, now);
      const state = stateOf(instance.id);
      state.inflight += 1;
      state.picks += 1;
      state.lastPickAt = now;
      let finished = false;
      return {
        instance,
        target: options.port === undefined ? undefined : instanceTarget(instance, options.port),
        done(outcome: PickOutcome) {
          if (finished) return;
          finished = true;
          const end = performance.now();
          state.inflight -= 1;
          const latencyMs = outcome.latencyMs ?? end - now;
          state.recordLatency(outcome.ok ? latencyMs : Math.max(latencyMs, failurePenaltyMs), end, decayMs);
          if (outcome.ok) state.recordSuccess();
          else state.recordFailure(end, ejection);
        },
      };
    },

    stats(): InstanceStats[] {
      const now = performance.now();
      return instances.snapshot().map((instance) => {
        const state = stateOf(instance.id);
        return {
          id: instance.id,
          region: instance.region,
          zone: instance.zone,
          inflight: state.inflight,
          ewmaLatencyMs: state.ewmaMs,
          consecutiveFailures: state.consecutiveFailures,
          ejected: state.isEjected(now),
          ejections: state.ejections,
          picks: state.picks,
        };
      });
    },

    close(): void {
      unsubscribe();
    },
  };
}
