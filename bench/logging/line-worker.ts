/**
 * One side of access-line.ts in a process of its own: writes `--lines`
 * access lines of a `GET /users/:id` to /dev/null, `--per-turn` lines per
 * event-loop turn (a server writes one per request), and prints the CPU
 * time of the process (every thread: pino's asynchronous destination writes
 * from libuv's pool) per line, minus the same loop's turns without a line.
 *
 *   node --conditions=@flotilla/source bench/logging/line-worker.ts SIDE [--lines 20000] [--warmup 5000] [--per-turn 1] [--dest batched|async|sync]
 */
import { openSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ecsFormat } from '@elastic/ecs-pino-format';
import { pino, type DestinationStream, type Logger } from 'pino';
import { accessLineEnabled, activeCorrelationJson, createLogger, LineBatch, REDACT_PATHS, writeAccessLine } from '@flotilla/telemetry';
import { redactUrlPassword } from '@flotilla/config';
import { SIDES, type Side, type WorkerResult } from './sides.ts';

const SERVICE = { service: 'users', version: '0.1.0', environment: 'dev' };
const ID = '0193a0c4-5d2e-7b7f-9c1e-4f2a6b8c0d1e';
const URL_PATH = `/users/${ID}`;

/**
 * The destination every side writes to, on /dev/null: `batched` is what
 * createLogger gives stdout (LineBatch: lines joined, then pino's
 * asynchronous destination); `async` is that destination alone, one write
 * per line (pino's default for stdout); `sync` one synchronous write per line.
 */
function destination(kind: string): DestinationStream {
  if (kind === 'sync') return pino.destination({ dest: '/dev/null', sync: true });
  if (kind === 'async') return pino.destination({ dest: '/dev/null', sync: false });
  return new LineBatch(openSync('/dev/null', 'w')) as unknown as DestinationStream;
}

/** The kit's logger before its own redaction: ECS format, pino's redaction of the same paths, the correlation mixin's place. */
function pinoWithRedaction(dest: DestinationStream): Logger {
  const urlFields = new Set(['dsn', 'url', 'connectionString']);
  return pino(
    {
      ...ecsFormat({
        serviceName: SERVICE.service,
        serviceVersion: SERVICE.version,
        serviceEnvironment: SERVICE.environment,
        apmIntegration: false,
      }),
      redact: {
        paths: REDACT_PATHS,
        censor: (value: unknown, path: string[]) =>
          urlFields.has(path[path.length - 1] ?? '') ? (typeof value === 'string' ? redactUrlPassword(value) : value) : '[REDACTED]',
      },
      mixin: () => ({}),
    },
    dest,
  );
}

/** Bare pino with the same fields and the same bindings, so the lines are the same bytes. */
function barePino(dest: DestinationStream): Logger {
  return pino(
    {
      messageKey: 'message',
      timestamp: () => `,"@timestamp":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ 'log.level': label }) },
      base: {
        'process.pid': process.pid,
        'host.hostname': 'vm',
        'ecs.version': '8.10.0',
        'service.name': SERVICE.service,
        'service.version': SERVICE.version,
        'service.environment': SERVICE.environment,
        'event.dataset': SERVICE.service,
      },
    },
    dest,
  );
}

/** The access line as fields, built per line as a pino user would. */
function fields(n: number): Record<string, unknown> {
  return {
    event: { kind: 'event', category: ['web'], type: ['access'], outcome: 'success', duration: 1_234_567 + n },
    http: { request: { id: ID, method: 'GET' }, response: { status_code: 200, body: { bytes: 187 } }, route: '/users/:id' },
    url: { path: URL_PATH },
    client: { address: '127.0.0.1' },
    user_agent: { original: 'autocannon/8.0.0' },
  };
}

const MESSAGE = `GET ${URL_PATH} 200`;

function lineWriter(side: Side, dest: DestinationStream): (n: number) => void {
  switch (side) {
    case 'pino': {
      const logger = barePino(dest);
      return (n) => logger.info({ 'http.request.id': ID, ...fields(n) }, MESSAGE);
    }
    case 'pino-ecs': {
      // The gateway's access logger as it was: a second pino with the ECS format, no redaction, no mixin, on the same destination.
      const logger = pino(
        {
          ...ecsFormat({
            serviceName: SERVICE.service,
            serviceVersion: SERVICE.version,
            serviceEnvironment: SERVICE.environment,
            apmIntegration: false,
          }),
        },
        dest,
      );
      return (n) => logger.info({ 'http.request.id': ID, ...fields(n) }, MESSAGE);
    }
    case 'pino-redact': {
      const logger = pinoWithRedaction(dest);
      return (n) => logger.child({ 'http.request.id': ID }, {}).info(fields(n), MESSAGE);
    }
    case 'kit-fields': {
      // An ordinary line through the kit's logger, with the same fields: what any other log line costs.
      const logger = createLogger({ ...SERVICE, destination: dest });
      return (n) => logger.child({ 'http.request.id': ID }, {}).info(fields(n), MESSAGE);
    }
    case 'kit': {
      // What a request pays: Fastify's request logger (a child, options {} as Fastify passes them), then the access line.
      const logger = createLogger({ ...SERVICE, destination: dest });
      return (n) => {
        const log = logger.child({ 'http.request.id': ID }, {});
        if (!accessLineEnabled(log, 200)) return;
        writeAccessLine(log, {
          status: 200,
          durationNs: 1_234_567 + n,
          requestId: ID,
          method: 'GET',
          url: URL_PATH,
          route: '/users/:id',
          clientAddress: '127.0.0.1',
          bodyBytes: 187,
          userAgent: 'autocannon/8.0.0',
          correlation: activeCorrelationJson(),
        });
      };
    }
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function loop(lines: number, perTurn: number, write: ((n: number) => void) | undefined): Promise<number> {
  const before = process.cpuUsage();
  for (let n = 0; n < lines; n++) {
    write?.(n);
    if ((n + 1) % perTurn === 0) await turn();
  }
  await turn();
  const used = process.cpuUsage(before);
  return used.user + used.system;
}

/** Bytes written, counted on the way to /dev/null. */
function counting(dest: DestinationStream): { dest: DestinationStream; bytes: () => number } {
  let bytes = 0;
  const write = dest.write.bind(dest);
  dest.write = (line: string) => {
    bytes += Buffer.byteLength(line);
    return write(line);
  };
  return { dest, bytes: () => bytes };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      lines: { type: 'string', default: '20000' },
      warmup: { type: 'string', default: '5000' },
      'per-turn': { type: 'string', default: '1' },
      dest: { type: 'string', default: 'batched' },
    },
  });
  const side = positionals[0] as Side;
  if (!SIDES.includes(side)) throw new Error(`side: one of ${SIDES.join(', ')}`);
  const lines = Number(values.lines);
  const perTurn = Number(values['per-turn']);
  const { dest, bytes } = counting(destination(values.dest));
  const write = lineWriter(side, dest);
  await loop(Number(values.warmup), perTurn, write);
  await loop(Number(values.warmup), perTurn, undefined);
  const empty = await loop(lines, perTurn, undefined);
  const before = bytes();
  const full = await loop(lines, perTurn, write);
  const result: WorkerResult = { side, microsPerLine: (full - empty) / lines, bytesPerLine: (bytes() - before) / lines };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
