/**
 * wrap(outer, …, inner): one policy that runs each given policy around the
 * next, in cockatiel's style. The standard order for an upstream is
 * deadline → bulkhead → breaker → retry → fault (see UpstreamGuard).
 */
import { asOptions, executionContext, type ExecuteOptions, type ExecutionContext, type Operation, type Policy } from './policy.ts';

export function wrap(...policies: Policy[]): Policy {
  return {
    execute<T>(fn: Operation<T>, options?: ExecuteOptions<T>): Promise<T> {
      const run = (index: number, context: ExecutionContext): Promise<T> => {
        const policy = policies[index];
        return policy === undefined ? fn(context) : policy.execute((inner) => run(index + 1, inner), asOptions<T>(context));
      };
      return run(0, executionContext(options));
    },
  };
}

/** A policy that just runs the function (a disabled slot). */
export const noopPolicy: Policy = {
  execute<T>(fn: Operation<T>, options?: ExecuteOptions<T>): Promise<T> {
    return fn(executionContext(options));
  },
};
