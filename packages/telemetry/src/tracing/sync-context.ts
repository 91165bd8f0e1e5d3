/**
 * An OpenTelemetry context manager that keeps the active context for the
 * synchronous extent of `with()` only, and does not follow awaits, timers or
 * callbacks. It costs nothing per async resource, where the
 * AsyncLocalStorage one (on Node 20, async_hooks) runs a hook on every
 * promise and socket event of the process once anything ran inside it.
 *
 * For a process that passes its spans' contexts explicitly (the gateway's
 * proxy path): see `keepTracingContextSynchronous()` in global.ts.
 */
import { ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api';

export class SynchronousContextManager implements ContextManager {
  private current: Context = ROOT_CONTEXT;

  active(): Context {
    return this.current;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const previous = this.current;
    this.current = context;
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.current = previous;
    }
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const fn = target as unknown as (...args: unknown[]) => unknown;
    const run = (self: unknown, args: unknown[]): unknown => this.with(context, () => fn.apply(self, args));
    return function bound(this: unknown, ...args: unknown[]) {
      return run(this, args);
    } as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.current = ROOT_CONTEXT;
    return this;
  }
}
