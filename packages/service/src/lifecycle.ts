/**
 * A running service as an ordered list of components, in the spirit of
 * controller-runtime's runnables: each starts once the ones before it are
 * up, and they stop in reverse. When one fails to start, it and the ones
 * before it are stopped, in reverse, before the error goes on — so a
 * component's `stop` must cope with a start that failed half way.
 */

export interface Component {
  /** For logs: what failed to stop. */
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface LifecycleLogger {
  error(object: object, message: string): void;
}

export class Lifecycle {
  readonly #started: Component[] = [];
  readonly #logger: LifecycleLogger;

  constructor(logger: LifecycleLogger) {
    this.#logger = logger;
  }

  /** Starts `components` in order; on a failure, stops what started and rethrows. */
  async start(components: readonly Component[]): Promise<void> {
    for (const component of components) {
      this.#started.push(component);
      try {
        await component.start();
      } catch (error) {
        await this.stop();
        throw error;
      }
    }
  }

  /** Stops every started component, last first; a failure is logged and the rest still stop. */
  async stop(): Promise<void> {
    for (const component of this.#started.splice(0).reverse()) {
      await component.stop().catch((error: unknown) => {
        this.#logger.error({ err: error, labels: { component: component.name } }, `error while stopping ${component.name}`);
      });
    }
  }
}

/** A component from two functions (either may be left out). */
export function component(name: string, parts: { start?: () => Promise<void> | void; stop?: () => Promise<void> | void }): Component {
  return {
    name,
    start: async () => parts.start?.(),
    stop: async () => parts.stop?.(),
  };
}
