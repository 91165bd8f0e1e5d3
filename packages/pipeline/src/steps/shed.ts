/** Load shedding: refuse at once when the process is overloaded; count every admitted request as in flight. */
import { overloadedError } from '@flotilla/resilience';
import type { LoadShedder } from '@flotilla/resilience';
import { PRIORITY_HEADER, parsePriority } from '@flotilla/resilience';
import { ORDER, Refusal, type StepFactory } from '../admission.ts';

export function shedStep(shedder: LoadShedder): StepFactory {
  return {
    order: ORDER.shed,
    compile(route) {
      const fixed = route.priority;
      if (route.shed === false)
        return (inbound) => {
          shedder.track(inbound.response);
          return undefined;
        };
      return (inbound) => {
        const verdict = shedder.shouldShed(inbound.path, fixed ?? parsePriority(inbound.headers[PRIORITY_HEADER]));
        if (verdict !== undefined) return new Refusal(overloadedError(verdict), ['retry-after', String(verdict.retryAfterSeconds)]);
        shedder.track(inbound.response);
        return undefined;
      };
    },
  };
}
