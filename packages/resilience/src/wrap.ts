/**
 * wrap(outer, …, inner): one policy that runs each given policy around the
 * next, in cockatiel's style. The standard order for an upstream is
 * deadline → bulkhead → breaker → retry → fault (see UpstreamGuard).
 *
 * Neighbouring policies that also have a synchronous form (a `step`: the
 * bulkhead's slot, the breaker's admission) are fused: they are entered
 * one after the other before the inner call and left when it settles, so
 * the whole run costs one promise for all of them instead of one each.
 */
import {
  asOptions,
  executionContext,
  invoke,
  type ExecuteOptions,
  type ExecutionContext,
  type Operation,
  type Policy,
  type PolicyStep,
  type SteppedPolicy,
  type StepOutcome,
} from './policy.ts';

type Layer = Policy | readonly PolicyStep[];

export function wrap(...policies: Policy[]): Policy {
  const layers = fuse(policies);
  return {
    execute<T>(fn: Operation<T>, options?: ExecuteOptions<T>): Promise<T> {
      const run = (index: number, context: ExecutionContext): Promise<T> => {
        const layer = layers[index];
        if (layer === undefined) return invoke(fn, context);
        if (Array.isArray(layer)) return enterSteps(layer as readonly PolicyStep[], 0, context, () => run(index + 1, context));
        return (layer as Policy).execute((inner) => run(index + 1, inner), asOptions<T>(context));
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

function fuse(policies: readonly Policy[]): Layer[] {
  const layers: Layer[] = [];
  for (const policy of policies) {
    const step = stepOf(policy);
    if (step === undefined) {
      layers.push(policy);
      continue;
    }
    const last = layers.at(-1);
    if (Array.isArray(last)) layers[layers.length - 1] = [...(last as readonly PolicyStep[]), step];
    else layers.push([step]);
  }
  return layers;
}

function stepOf(policy: Policy): PolicyStep | undefined {
  return (policy as Partial<SteppedPolicy>).step;
}

/** Enters steps[from…] (waiting only where a step must), runs `inner`, and leaves every entered step when it settles. */
function enterSteps<T>(steps: readonly PolicyStep[], from: number, context: ExecutionContext, inner: () => Promise<T>): Promise<T> {
  for (let i = from; i < steps.length; i++) {
    const entered = (steps[i] as PolicyStep).enter(context);
    if (entered === undefined) continue;
    if (entered instanceof Promise)
      return entered.then(
        () => enterSteps(steps, i + 1, context, inner),
        (error: unknown) => {
          leaveSteps(steps, i, context, { ok: false, error });
          throw error;
        },
      ) as Promise<T>;
    // Refused (an open breaker): the steps already entered are left with the refusal, and it (or a fallback) is the answer.
    leaveSteps(steps, i, context, { ok: false, error: entered.error });
    return entered.answer as Promise<T>;
  }
  let call: Promise<T>;
  try {
    call = inner();
  } catch (error) {
    call = Promise.reject(error);
  }
  return call.then(
    (value) => {
      leaveSteps(steps, steps.length, context, { ok: true, value });
      return value;
    },
    (error: unknown) => {
      leaveSteps(steps, steps.length, context, { ok: false, error });
      throw error;
    },
  );
}

/** Leaves steps[0…count) innermost first. */
function leaveSteps(steps: readonly PolicyStep[], count: number, context: ExecutionContext, outcome: StepOutcome): void {
  for (let i = count - 1; i >= 0; i--) (steps[i] as PolicyStep).leave(context, outcome);
}
