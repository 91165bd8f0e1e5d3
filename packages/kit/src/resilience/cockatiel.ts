/**
 * fromCockatiel: runs a cockatiel policy (timeout, fallback, its own
 * breakers…) as one of ours, so it can sit in a `wrap(...)` with the kit's
 * policies. The cockatiel policy gets the call's signal; the function gets
 * the signal cockatiel hands it (which also fires on a cockatiel timeout).
 * A cockatiel fallback's value must be of the type the wrapped call returns.
 */
import type { IDefaultPolicyContext, IPolicy } from 'cockatiel';
import { deriveContext, executionContext, type ExecuteOptions, type Operation, type Policy } from './policy.js';

export function fromCockatiel<Alt>(policy: IPolicy<IDefaultPolicyContext, Alt>): Policy {
  return {
    execute<T>(fn: Operation<T>, options?: ExecuteOptions<T>): Promise<T> {
      const context = executionContext(options);
      return policy.execute(({ signal }) => fn(deriveContext(context, { signal })), context.signal) as Promise<T>;
    },
  };
}
