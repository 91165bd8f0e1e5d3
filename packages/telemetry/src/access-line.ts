/**
 * The ECS access line, one per request: what the kit's Fastify hook and the
 * gateway's proxy path write. The line is the one pino would write for
 *
 *   logger.info({ event: {kind, category: ['web'], type: ['access'], outcome, duration},
 *                 http: {request: {id, method}, response: {status_code, body?: {bytes}}, route},
 *                 url: {path, query?}, client: {address}, user_agent?: {original},
 *                 labels?: {upstream}, destination?: {address} }, 'GET /users/1 200')
 *
 * through a kit logger (`createLogger`): its bindings (service fields, and a
 * request logger's `http.request.id`), its level, its destination. It is
 * built here as one string instead: those nine objects and two arrays per
 * request, pino's walk over them and the redaction walk cost more than the
 * request's own work. None of its fields can hold a credential (no headers,
 * no bodies; the redaction rules name none of its keys), so redacting it
 * would change nothing. Loggers made elsewhere get the object above.
 */
import { symbols, type Logger } from 'pino';
import { KIT_LOGGER } from './logger.ts';
import { ecsTimestamp } from './log-timestamp.ts';

export interface AccessEntry {
  status: number;
  durationNs: number;
  requestId: string;
  method: string;
  /** The request target as received: path and query. */
  url: string;
  /** The route template or route name, never the raw path. */
  route: string;
  clientAddress: string | undefined;
  /** The answer's Content-Length, when it had one. */
  bodyBytes?: number | undefined;
  userAgent?: string | undefined;
  /** The gateway's upstream (`labels.upstream`) and the instance that answered (`destination.address`). */
  upstream?: string | undefined;
  destination?: string | undefined;
  /** `trace.id`, `span.id`, `transaction.id` as JSON members (`correlationJson`, `activeCorrelationJson`); '' for none. */
  correlation?: string | undefined;
}

const INFO_OPEN = '{"log.level":"info"';
const ERROR_OPEN = '{"log.level":"error"';
const EVENT_SUCCESS = ',"event":{"kind":"event","category":["web"],"type":["access"],"outcome":"success","duration":';
const EVENT_FAILURE = ',"event":{"kind":"event","category":["web"],"type":["access"],"outcome":"failure","duration":';

type LoggerInternals = Record<symbol, unknown>;
/** pino's multistream asks for each line's level and object alongside the string. */
const needsMetadata = Symbol.for('pino.metadata');

/** Whether an access line with this status would be written (info, or error for 5xx): build nothing otherwise. */
export function accessLineEnabled(logger: Logger, status: number): boolean {
  return logger.isLevelEnabled(status >= 500 ? 'error' : 'info');
}

/** Writes the access line through `logger`, if its level lets it through. */
export function writeAccessLine(logger: Logger, entry: AccessEntry): void {
  const failure = entry.status >= 500;
  if (!logger.isLevelEnabled(failure ? 'error' : 'info')) return;
  const internals = logger as unknown as LoggerInternals;
  const stream = internals[symbols.streamSym] as { write(line: string): unknown; [needsMetadata]?: boolean } | undefined;
  if (internals[KIT_LOGGER] !== true || stream === undefined || stream[needsMetadata] === true) {
    writeThroughPino(logger, entry, failure);
    return;
  }
  const { url, status } = entry;
  const query = url.indexOf('?');
  const pathJson = JSON.stringify(query === -1 ? url : url.slice(0, query));
  const methodJson = JSON.stringify(entry.method);
  let line =
    (failure ? ERROR_OPEN : INFO_OPEN) +
    ecsTimestamp() +
    (internals[symbols.chindingsSym] as string) +
    (entry.correlation ?? '') +
    (failure ? EVENT_FAILURE : EVENT_SUCCESS) +
    Math.round(entry.durationNs) +
    '},"http":{"request":{"id":' +
    JSON.stringify(entry.requestId) +
    ',"method":' +
    methodJson +
    '},"response":{"status_code":' +
    status +
    (entry.bodyBytes === undefined ? '}' : `,"body":{"bytes":${Number.isFinite(entry.bodyBytes) ? entry.bodyBytes : null}}}`) +
    ',"route":' +
    JSON.stringify(entry.route) +
    '},"url":{"path":' +
    pathJson +
    (query === -1 ? '}' : `,"query":${JSON.stringify(url.slice(query + 1))}}`) +
    (entry.clientAddress === undefined ? ',"client":{}' : `,"client":{"address":${JSON.stringify(entry.clientAddress)}}`);
  if (entry.userAgent !== undefined) line += `,"user_agent":{"original":${JSON.stringify(entry.userAgent)}}`;
  if (entry.upstream !== undefined) line += `,"labels":{"upstream":${JSON.stringify(entry.upstream)}}`;
  if (entry.destination !== undefined) line += `,"destination":{"address":${JSON.stringify(entry.destination)}}`;
  // The message, `GET /users/1 200`, from the strings already escaped (a method is a token: nothing to escape).
  stream.write(`${line},"message":${methodJson.slice(0, -1)} ${pathJson.slice(1, -1)} ${status}"}\n`);
}

/** The same line as fields for pino, for a logger not made by `createLogger`. */
function writeThroughPino(logger: Logger, entry: AccessEntry, failure: boolean): void {
  const { url, status } = entry;
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  const fields: Record<string, unknown> = {
    event: {
      kind: 'event',
      category: ['web'],
      type: ['access'],
      outcome: failure ? 'failure' : 'success',
      duration: Math.round(entry.durationNs),
    },
    http: {
      request: { id: entry.requestId, method: entry.method },
      response: { status_code: status, ...(entry.bodyBytes === undefined ? {} : { body: { bytes: entry.bodyBytes } }) },
      route: entry.route,
    },
    url: query === -1 ? { path } : { path, query: url.slice(query + 1) },
    client: { address: entry.clientAddress },
  };
  if (entry.userAgent !== undefined) fields.user_agent = { original: entry.userAgent };
  if (entry.upstream !== undefined) fields.labels = { upstream: entry.upstream };
  if (entry.destination !== undefined) fields.destination = { address: entry.destination };
  if (entry.correlation) Object.assign(fields, JSON.parse(`{${entry.correlation.slice(1)}}`));
  const message = `${entry.method} ${path} ${status}`;
  if (failure) logger.error(fields, message);
  else logger.info(fields, message);
}
