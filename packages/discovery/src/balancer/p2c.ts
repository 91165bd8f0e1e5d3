/**
 * Power of two choices over least outstanding requests weighted by latency
 * (the go-zero / Kratos default): draw two candidates at random and take the
 * cheaper, cost = EWMA latency × (in-flight + 1) / weight. An instance nobody
 * has picked for `forcePickMs` is taken anyway, so a once-slow instance gets
 * the odd request and its latency can recover.
 */
import type { Instance } from '../types.ts';
import type { EndpointState } from './endpoint-state.ts';

export function pickP2C(
  candidates: readonly Instance[],
  stateOf: (id: string) => EndpointState,
  now: number,
  forcePickMs: number,
): Instance {
  if (candidates.length === 1) return candidates[0]!;
  const first = Math.floor(Math.random() * candidates.length);
  let second = Math.floor(Math.random() * (candidates.length - 1));
  if (second >= first) second += 1;
  const a = candidates[first]!;
  const b = candidates[second]!;
  const stateA = stateOf(a.id);
  const stateB = stateOf(b.id);
  // Not picked for a while (and picked before): refresh it.
  if (stateA.picks > 0 && now - stateA.lastPickAt > forcePickMs && stateA.inflight === 0) return a;
  if (stateB.picks > 0 && now - stateB.lastPickAt > forcePickMs && stateB.inflight === 0) return b;
  // Instances without a sample yet are costed at the average of the others, not as free.
  const known = candidates.map((c) => stateOf(c.id).ewmaMs).filter((v): v is number => v !== undefined);
  const neutral = known.length === 0 ? 1 : known.reduce((sum, v) => sum + v, 0) / known.length;
  const cost = (instance: Instance, state: EndpointState): number =>
    (Math.max(state.ewmaMs ?? neutral, 0.001) * (state.inflight + 1)) / Math.max(instance.weight, 1);
  return cost(a, stateA) <= cost(b, stateB) ? a : b;
}
