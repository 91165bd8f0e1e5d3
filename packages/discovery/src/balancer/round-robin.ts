/**
 * Smooth weighted round robin (as in nginx): every pick adds each candidate's
 * weight to its running score, takes the highest and subtracts the total from
 * it. Weights 5:1:1 give a a b a c a a, interleaved rather than in bursts.
 */
import type { Instance } from '../types.ts';

export class SmoothRoundRobin {
  readonly #scores = new Map<string, number>();

  pick(candidates: readonly Instance[]): Instance {
    let best: Instance | undefined;
    let bestScore = -Infinity;
    let total = 0;
    for (const candidate of candidates) {
      const weight = candidate.weight;
      total += weight;
      const score = (this.#scores.get(candidate.id) ?? 0) + weight;
      this.#scores.set(candidate.id, score);
      if (score > bestScore) {
        best = candidate;
        bestScore = score;
      }
    }
    this.#scores.set(best!.id, bestScore - total);
    return best!;
  }

  forget(id: string): void {
    this.#scores.delete(id);
  }
}
