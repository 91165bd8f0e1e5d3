/**
 * `GET` and `PUT /admin/log-level`: the process's log level, read and changed
 * at once, without a restart (pino's `logger.level`). Loggers made from it
 * afterwards (every request's) follow; so does every line the service logger
 * itself writes. A later change of `log.level` in the config centre sets it
 * again.
 */
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import Type, { type Static } from 'typebox';

/** The admin path, inside the `/admin` scope. */
export const LOG_LEVEL_PATH = '/log-level';

/** pino's levels, most verbose first, and `silent`. */
export const LOG_LEVELS: readonly string[] = [
  ...Object.entries(pino.levels.values)
    .sort(([, a], [, b]) => a - b)
    .map(([name]) => name),
  'silent',
];

export function isLogLevel(value: unknown): value is string {
  return typeof value === 'string' && LOG_LEVELS.includes(value);
}

export const LogLevelSchema = Type.Enum([...LOG_LEVELS], { description: "One of pino's levels, or `silent`" });

export const LogLevelBody = Type.Object({ level: LogLevelSchema }, { additionalProperties: false });
export type LogLevelBody = Static<typeof LogLevelBody>;

export const LogLevelAnswer = Type.Object({ level: Type.String({ description: 'The level in force now' }) });

/** What the route changes: a pino logger (the service's root logger). */
export interface LevelledLogger {
  level: string;
  info(object: object, message: string): void;
}

export function registerLogLevelRoute(app: FastifyInstance, logger: LevelledLogger, path = LOG_LEVEL_PATH): void {
  // Hidden like its siblings `/admin/config` and `/admin/anomalies`: an operator's endpoint, not the service's API.
  app.get(path, { schema: { hide: true, response: { 200: LogLevelAnswer } } }, async () => ({ level: logger.level }));
  app.put(path, { schema: { hide: true, body: LogLevelBody, response: { 200: LogLevelAnswer } } }, async (request) => {
    const { level } = request.body as LogLevelBody;
    const previous = logger.level;
    // Said before the change, at the old level: a switch to `error` is still on record.
    logger.info(
      { event: { action: 'log-level-changed' }, labels: { previous_level: previous, level } },
      `log level ${previous} -> ${level}`,
    );
    logger.level = level;
    return { level: logger.level };
  });
}
