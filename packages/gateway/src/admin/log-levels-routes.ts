/**
 * `GET /admin/log-levels` and `PUT /admin/log-levels/{service}`: the log
 * level of every process of the system, read and set from one place (the
 * console, `flotilla log-level`). The gateway's own level is set in-process;
 * every other instance is asked at its `/admin/log-level`, all at once, each
 * within a bound. An instance that cannot be asked is reported with `error`,
 * the others still change. Another gateway is sent the caller's header
 * credential, since its admin routes need one.
 */
import { type HttpApp, LogLevelBody, NotFoundError, problemResponses } from '@flotilla/kit';
import Type from 'typebox';
import { request as httpRequest } from 'undici';
import type { AdminRequest } from './admin-auth.ts';
import type { KnownInstance } from './known-instances.ts';
import { type LevelSelf, type LevelTarget, levelTargets } from './log-level-targets.ts';

const tags = ['admin'];
const ASK_TIMEOUT_MS = 2_000;

const InstanceLevel = Type.Object({
  id: Type.String(),
  address: Type.String({ description: 'host:port of its HTTP listener' }),
  level: Type.Union([Type.String(), Type.Null()], { description: 'Its level now; null when it could not be asked' }),
  error: Type.Optional(Type.String({ description: 'Why it could not be asked' })),
});

const LevelsAnswer = Type.Object({
  services: Type.Array(Type.Object({ service: Type.String(), instances: Type.Array(InstanceLevel) })),
});

const SetAnswer = Type.Object({ service: Type.String(), level: Type.String(), instances: Type.Array(InstanceLevel) });

const ServiceParams = Type.Object({ service: Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9][a-z0-9-]*$' }) });

interface InstanceLevel {
  id: string;
  address: string;
  level: string | null;
  error?: string;
}

export interface LogLevelsOptions {
  /** The gateway's own logger: its level is this process's. */
  logger: { level: string; info(object: object, message: string): void };
  self: LevelSelf;
  /** Every instance the gateway knows (`knownInstances`). */
  instances(): Promise<ReadonlyMap<string, KnownInstance[]>>;
}

export function registerLogLevelsRoutes(admin: HttpApp, options: LogLevelsOptions): void {
  const targets = async (request: AdminRequest) =>
    levelTargets(await options.instances(), options.self, request.headers.host ?? 'localhost');

  admin.get(
    '/log-levels',
    {
      schema: {
        tags,
        summary: 'The log level of every instance of every service, the gateway included',
        operationId: 'getLogLevels',
        response: { 200: LevelsAnswer, ...problemResponses(401, 403) },
      },
    },
    async (request) => {
      const found = await targets(request);
      const levels = await Promise.all(found.map((target) => ask(target, undefined, request, options)));
      const services = new Map<string, InstanceLevel[]>();
      found.forEach((target, index) => {
        const list = services.get(target.service) ?? [];
        list.push(levels[index] as InstanceLevel);
        services.set(target.service, list);
      });
      return { services: [...services].map(([service, instances]) => ({ service, instances })) };
    },
  );

  admin.put(
    '/log-levels/:service',
    {
      schema: {
        tags,
        summary: "Set a service's log level on every instance at once, without a restart",
        description:
          'A later change of `log.level` in the config centre sets it again. A process group (`workers` above 1) changes in the worker that answers.',
        operationId: 'setLogLevel',
        params: ServiceParams,
        body: LogLevelBody,
        response: { 200: SetAnswer, ...problemResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const { service } = request.params;
      const level = request.body.level;
      const found = (await targets(request)).filter((target) => target.service === service);
      if (found.length === 0) throw new NotFoundError(`no instance of ${service} is known`);
      const instances = await Promise.all(found.map((target) => ask(target, level, request, options)));
      return { service, level, instances };
    },
  );
}

/** Reads (level undefined) or sets one instance's level. */
async function ask(
  target: LevelTarget,
  level: string | undefined,
  caller: AdminRequest,
  options: LogLevelsOptions,
): Promise<InstanceLevel> {
  const base = { id: target.id, address: target.address };
  if (target.origin === undefined) {
    if (level !== undefined && level !== options.logger.level) {
      options.logger.info(
        { event: { action: 'log-level-changed' }, labels: { previous_level: options.logger.level, level } },
        `log level ${options.logger.level} -> ${level}`,
      );
      options.logger.level = level;
    }
    return { ...base, level: options.logger.level };
  }
  try {
    const response = await httpRequest(`${target.origin}/admin/log-level`, {
      method: level === undefined ? 'GET' : 'PUT',
      headers: {
        accept: 'application/json',
        ...(level === undefined ? {} : { 'content-type': 'application/json' }),
        // Only another gateway checks a credential on its admin routes: the services are never sent it.
        ...(target.service === options.self.service ? forwardedCredential(caller) : {}),
      },
      ...(level === undefined ? {} : { body: JSON.stringify({ level }) }),
      signal: AbortSignal.timeout(ASK_TIMEOUT_MS),
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      return { ...base, level: null, error: `answered ${response.statusCode}` };
    }
    const answer = (await response.body.json()) as { level?: unknown };
    return typeof answer.level === 'string'
      ? { ...base, level: answer.level }
      : { ...base, level: null, error: 'answered without a level' };
  } catch (error) {
    return { ...base, level: null, error: (error as Error).message };
  }
}

/** The caller's header credential, for instances that check one (other gateways); never the console's cookie. */
function forwardedCredential(caller: AdminRequest): Record<string, string> {
  const { authorization } = caller.headers;
  const key = caller.headers['x-api-key'];
  return {
    ...(typeof authorization === 'string' ? { authorization } : {}),
    ...(typeof key === 'string' ? { 'x-api-key': key } : {}),
  };
}
