/**
 * startRegistration: the hook a service calls once its listeners are up, and
 * stops before it closes them (so callers stop picking it before it drains).
 * If the registry cannot be reached, the service still starts: registration
 * carries on in the background and the wait is bounded by `waitMs`.
 */
import type { InstanceHealth, InstanceSpec, Registration, Registry } from './types.ts';

interface RegistrationLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface StartRegistrationOptions {
  registry: Registry;
  instance: InstanceSpec;
  /** Longest wait for the first write before going on without it (default 5000). */
  waitMs?: number;
  logger?: RegistrationLogger;
}

export interface RunningRegistration {
  /** The registration, once written (undefined while still pending). */
  readonly registration: Registration | undefined;
  /** Resolves when the entry is written (rejects only if it never can be, e.g. an invalid spec, or stop() came first). */
  readonly registered: Promise<Registration>;
  /** Marks the instance serving / not-serving (e.g. when readiness changes). No-op until registered. */
  setHealth(health: InstanceHealth): Promise<void>;
  /** Deregisters. Idempotent. */
  stop(): Promise<void>;
}

export async function startRegistration(options: StartRegistrationOptions): Promise<RunningRegistration> {
  const { registry, logger } = options;
  let registration: Registration | undefined;
  const registered = registry.register(options.instance).then((done) => {
    registration = done;
    logger?.info(
      {
        event: { action: 'registered' },
        labels: {
          instance: done.instance.id,
          registry: registry.backend,
          region: done.instance.region,
          zone: done.instance.zone,
        },
      },
      `registered ${done.instance.id} in the ${registry.backend} registry`,
    );
    return done;
  });
  registered.catch(() => undefined); // a background failure is reported below, never unhandled
  let timer: NodeJS.Timeout | undefined;
  const waited = await Promise.race([
    registered.then(
      () => 'registered' as const,
      (error: unknown) => error,
    ),
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), options.waitMs ?? 5000))),
  ]);
  clearTimeout(timer);
  if (waited !== 'registered' && waited !== 'timeout') throw waited; // invalid spec: a programming error, fail the start
  if (waited === 'timeout')
    logger?.warn(
      { event: { action: 'registration-pending' }, labels: { registry: registry.backend } },
      `the ${registry.backend} registry is not reachable yet; registering in the background`,
    );

  let stopping: Promise<void> | undefined;
  return {
    get registration() {
      return registration;
    },
    registered,
    async setHealth(health: InstanceHealth) {
      if (registration !== undefined && stopping === undefined) await registration.update({ health });
    },
    stop() {
      stopping ??= registry
        .deregister()
        .then(() => logger?.info({ event: { action: 'deregistered' } }, `deregistered from the ${registry.backend} registry`));
      return stopping;
    },
  };
}
