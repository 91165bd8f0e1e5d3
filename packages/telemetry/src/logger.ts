/**
 * Structured logs in Elastic Common Schema (one JSON object per line), with
 * credentials redacted before they are serialised. Pretty output only when a
 * person is watching (stdout is a TTY) unless configured otherwise.
 *
 * Per line, the logger does only what the line needs: redaction is one walk
 * over the first levels of the line's object that copies nothing unless it
 * finds a secret (`redaction.ts`); the ECS conversion of `err`/`req`/`res`
 * runs only for lines that carry one; the correlation mixin adds nothing and
 * copies nothing outside a request; lines of one millisecond share one
 * timestamp string. Lines go to stdout through pino's asynchronous
 * destination, handed over in batches (`log-destination.ts`; `drainLogger`
 * waits for them at shutdown).
 */
import { ecsFormat } from '@elastic/ecs-pino-format';
import { hostname } from 'node:os';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { correlationMixin, mergeCorrelation } from './log-correlation.ts';
import { ecsTimestamp } from './log-timestamp.ts';
import { LineBatch } from './log-destination.ts';
import { redactSecrets } from './redaction.ts';

export type { Logger } from 'pino';
export { REDACT_PATHS } from './redaction.ts';

export interface LoggerSettings {
  service: string;
  version?: string;
  /** Environment namespace (dev/staging/prod) → ECS `service.environment`. */
  environment?: string;
  level?: string;
  /** Force pretty (true) or JSON (false); by default pretty only on a TTY. */
  pretty?: boolean;
  /** Where lines go; defaults to stdout. Tests pass a stream to read them back. */
  destination?: DestinationStream;
  /** Stamp lines with trace.id / span.id / transaction.id / http.request.id from the request being served (default true). */
  correlate?: boolean;
}

/** Marks loggers made here (and, by inheritance, their children): their lines are ECS, written as `access-line.ts` writes its own. */
export const KIT_LOGGER = Symbol('flotilla.kit-logger');

type LogFormatter = (object: Record<string, unknown>) => Record<string, unknown>;

export function createLogger(settings: LoggerSettings): Logger {
  const ecs = ecsFormat({
    serviceName: settings.service,
    ...(settings.version === undefined ? {} : { serviceVersion: settings.version }),
    ...(settings.environment === undefined ? {} : { serviceEnvironment: settings.environment }),
    convertErr: true,
    convertReqRes: false,
    apmIntegration: false,
  });
  const ecsLog = ecs.formatters?.log as LogFormatter;
  const ecsBindings = ecs.formatters?.bindings as LogFormatter;
  const options: LoggerOptions = {
    ...ecs,
    // pino's default base, read here rather than when pino loads: an executable's start-up snapshot would keep the build machine's name.
    base: { pid: process.pid, hostname: hostname() },
    timestamp: ecsTimestamp,
    formatters: {
      ...ecs.formatters,
      bindings: (bindings) => redactSecrets(ecsBindings(bindings)),
      // ECS's own formatter copies every line to take err/req/res out; only lines carrying one need it.
      log: (object) =>
        redactSecrets(object.err === undefined && object.req === undefined && object.res === undefined ? object : ecsLog(object)),
    },
    level: settings.level ?? 'info',
    ...(settings.correlate === false
      ? {}
      : { mixin: correlationMixin as NonNullable<LoggerOptions['mixin']>, mixinMergeStrategy: mergeCorrelation }),
  };
  return markKitLogger(pino(options, destinationFor(settings, options)));
}

function destinationFor(settings: LoggerSettings, options: LoggerOptions): DestinationStream {
  if (settings.destination !== undefined) return settings.destination;
  const pretty = settings.pretty ?? process.stdout.isTTY === true;
  if (pretty) {
    return pino.transport({
      target: 'pino-pretty',
      options: {
        colorize: true,
        messageKey: options.messageKey,
        timestampKey: '@timestamp',
        ignore: 'process.pid,host.hostname,ecs.version,event.dataset',
      },
    }) as DestinationStream;
  }
  return new LineBatch() as unknown as DestinationStream;
}

/**
 * Child bindings are redacted like lines (pino's formatter for bindings is
 * not applied to children), and an empty options object, which Fastify
 * passes for every request's logger, is dropped: with it pino takes its
 * slow path for children.
 */
function markKitLogger(logger: Logger): Logger {
  const child = logger.child;
  Object.defineProperty(logger, KIT_LOGGER, { value: true });
  logger.child = function kitChild(this: Logger, bindings, options) {
    return child.call(this, redactSecrets(bindings), options === undefined || isEmpty(options) ? undefined : options);
  } as typeof logger.child;
  return logger;
}

function isEmpty(object: object): boolean {
  for (const _ in object) return false;
  return true;
}

interface AsyncDestination {
  _writing?: boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/**
 * Resolves once every line logged so far has reached the file descriptor.
 * pino's own flush() returns at once for stdout, and the exit-time flushSync
 * writes what is buffered ahead of a write still in flight, reordering the
 * last lines (an access line landing after "stopped").
 */
export function drainLogger(logger: Logger, timeoutMs = 2000): Promise<void> {
  const stream = (logger as unknown as Record<symbol, AsyncDestination | undefined>)[pino.symbols.streamSym];
  if (stream instanceof LineBatch) return stream.drain(timeoutMs);
  logger.flush();
  if (stream?._writing !== true) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    stream.once('drain', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
