/** The request's deadline: the client's `x-request-timeout` / `grpc-timeout`, capped by the route's timeout; malformed is a 400. */
import { FlotillaError } from '@flotilla/core';
import { Deadline } from '@flotilla/core';
import { ORDER, Refusal, type StepFactory } from '../admission.ts';

export const deadlineStep: StepFactory = {
  order: ORDER.deadline,
  compile(route) {
    const options = route.timeoutMs === undefined ? {} : { routeTimeoutMs: route.timeoutMs };
    return (inbound, admission) => {
      try {
        admission.deadline = Deadline.fromRequest(inbound.headers, options);
        return undefined;
      } catch (error) {
        return new Refusal(error instanceof FlotillaError ? error : new FlotillaError('bad-request', (error as Error).message));
      }
    };
  },
};
