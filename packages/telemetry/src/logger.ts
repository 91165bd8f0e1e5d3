/**
 * Structured logs in Elastic Common Schema (one JSON object per line), with
 * credentials redacted before they are serialised. Pretty output only when a
 * person is watching (stdout is a TTY) unless configured otherwise.
 */
import { ecsFormat } from '@elastic/ecs-pino-format';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { redactUrlPassword } from '@flotilla/config';
import { correlationMixin } from './log-correlation.ts';

export type { Logger } from 'pino';

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

const HEADER_SECRETS = ['authorization', 'cookie', 'set-cookie', 'proxy-authorization', 'x-api-key'];
const FIELD_SECRETS = ['password', 'passwd', 'secret', 'token', 'accessToken', 'refreshToken', 'apiKey', 'privateKey'];
const URL_FIELDS = ['dsn', 'url', 'connectionString'];

/** Paths pino redacts: sensitive headers wherever a request is logged, and credential-named fields up to three levels deep. */
export const REDACT_PATHS = [
  ...HEADER_SECRETS.flatMap((h) => [
    `req.headers["${h}"]`,
    `http.request.headers["${h}"]`,
    `http.response.headers["${h}"]`,
    `headers["${h}"]`,
  ]),
  ...[...FIELD_SECRETS, ...URL_FIELDS].flatMap((f) => [f, `*.${f}`, `*.*.${f}`]),
];

function censor(value: unknown, path: string[]): unknown {
  const last = path[path.length - 1] ?? '';
  if (URL_FIELDS.includes(last)) {
    // An ECS `url` object is not a credential; a connection string may hold one.
    return typeof value === 'string' ? redactUrlPassword(value) : value;
  }
  return '[REDACTED]';
}

export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    ...ecsFormat({
      serviceName: settings.service,
      ...(settings.version === undefined ? {} : { serviceVersion: settings.version }),
      ...(settings.environment === undefined ? {} : { serviceEnvironment: settings.environment }),
      convertErr: true,
      convertReqRes: false,
      apmIntegration: false,
    }),
    level: settings.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor },
    ...(settings.correlate === false ? {} : { mixin: correlationMixin as NonNullable<LoggerOptions['mixin']> }),
  };
  if (settings.destination !== undefined) return pino(options, settings.destination);
  const pretty = settings.pretty ?? process.stdout.isTTY === true;
  if (pretty) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: {
          colorize: true,
          messageKey: 'message',
          timestampKey: '@timestamp',
          ignore: 'process.pid,host.hostname,ecs.version,event.dataset',
        },
      },
    });
  }
  return pino(options);
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
