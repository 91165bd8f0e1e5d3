/** The dev formatter: ECS JSON lines as a person reads them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLogLine, isStartupChatter, parseLogLine } from '../../../src/dev/log-format.ts';

/** 10:04:01.123 local time, whatever the machine's zone. */
const AT = new Date(2026, 0, 5, 10, 4, 1, 123).toISOString();
const ESC = '\u001b';
const plain = { verbose: false, color: false };
const verbose = { verbose: true, color: false };

function ecs(fields: Record<string, unknown>): string {
  return JSON.stringify({
    'log.level': 'info',
    '@timestamp': AT,
    'process.pid': 4242,
    'host.hostname': 'devbox',
    'ecs.version': '8.10.0',
    'service.name': 'gateway',
    'service.version': '0.1.0',
    'event.dataset': 'gateway',
    ...fields,
  });
}

const ACCESS = ecs({
  event: { kind: 'event', category: ['web'], type: ['access'], outcome: 'success', duration: 3_140_000 },
  http: { request: { id: 'b7c1', method: 'GET' }, response: { status_code: 200 }, route: 'users' },
  url: { path: '/api/users' },
  client: { address: '127.0.0.1' },
  labels: { upstream: 'users' },
  message: 'GET /api/users 200',
});

const ERROR = ecs({
  'log.level': 'error',
  error: {
    type: 'Error',
    message: 'connect ECONNREFUSED 127.0.0.1:9081\nwhile calling users',
    code: 'ECONNREFUSED',
    stack_trace:
      'Error: connect ECONNREFUSED 127.0.0.1:9081\n    at TCPConnectWrap.afterConnect (node:net:1637:16)\n    at next (lib/retry.ts:12:3)',
  },
  http: { request: { id: 'f00d' } },
  message: 'grpc handler failed: /flotilla.orders.v1.OrderService/CreateOrder',
});

const WARNING = ecs({
  'log.level': 'warn',
  event: { action: 'upstream-failure' },
  http: { request: { id: 'a1b2', method: 'GET' }, route: 'user-profile' },
  error: { message: 'users answered 503' },
  message: 'aggregation user-profile: part user failed (users)',
});

test('an access line is compact: method, path, status and duration', () => {
  assert.deepEqual(formatLogLine(ACCESS, plain), ['10:04:01.123 INFO  GET /api/users 200 3.1 ms']);
});

test('an error shows the first line of its message and error, without the stack', () => {
  assert.deepEqual(formatLogLine(ERROR, plain), [
    '10:04:01.123 ERROR grpc handler failed: /flotilla.orders.v1.OrderService/CreateOrder req=f00d error="connect ECONNREFUSED 127.0.0.1:9081" code=ECONNREFUSED',
  ]);
});

test('verbose keeps every field on the event line and the stack below it', () => {
  const [head, ...stack] = formatLogLine(ERROR, verbose);
  assert.match(head as string, /^10:04:01\.123 ERROR grpc handler failed: \S+ /);
  for (const field of [
    'process.pid=4242',
    'host.hostname=devbox',
    'ecs.version=8.10.0',
    'http.request.id=f00d',
    'error.code=ECONNREFUSED',
  ]) {
    assert.ok(head?.includes(field), `${field} in ${head}`);
  }
  assert.ok(head?.includes('error.message="connect ECONNREFUSED 127.0.0.1:9081\\nwhile calling users"'), head);
  assert.ok(!head?.includes('stack_trace'), 'the stack is not a field');
  assert.deepEqual(stack, [
    '  Error: connect ECONNREFUSED 127.0.0.1:9081',
    '      at TCPConnectWrap.afterConnect (node:net:1637:16)',
    '      at next (lib/retry.ts:12:3)',
  ]);
});

test('warnings are yellow and errors red and bold, level and message', () => {
  const [warning] = formatLogLine(WARNING, { verbose: false, color: true });
  assert.ok(warning?.includes('\u001b[33mWARN \u001b[0m'), warning);
  assert.ok(warning?.includes('\u001b[33maggregation user-profile: part user failed (users)\u001b[0m'), warning);
  const [error] = formatLogLine(ERROR, { verbose: false, color: true });
  assert.ok(error?.includes('\u001b[1;31mERROR\u001b[0m'), error);
  assert.ok(error?.includes('\u001b[1;31mgrpc handler failed'), error);
  const strip = (s: string | undefined): string => (s ?? '').replace(new RegExp(`${ESC}\\[[0-9;]*m`, 'g'), '');
  // The route is in the message already, so it is not repeated as a field.
  assert.equal(strip(warning), '10:04:01.123 WARN  aggregation user-profile: part user failed (users) req=a1b2 error="users answered 503"');
});

test('a failed request shows its status in colour', () => {
  const line = ACCESS.replace('"status_code":200', '"status_code":503').replace('GET /api/users 200', 'GET /api/users 503');
  const [formatted] = formatLogLine(line.replace('"log.level":"info"', '"log.level":"error"'), { verbose: false, color: true });
  assert.ok(formatted?.includes('GET /api/users \u001b[31m503\u001b[0m 3.1 ms'), formatted);
});

test('lines of other shapes pass through unchanged', () => {
  for (const line of [
    'users failed to start: listen EADDRINUSE: address already in use 127.0.0.1:8081',
    '{"not":"a log event"}',
    '[1,2,3]',
    '{"message":"no level"',
    '',
  ]) {
    assert.deepEqual(formatLogLine(line, plain), [line]);
    assert.deepEqual(formatLogLine(line, verbose), [line]);
  }
});

test('plain pino lines (numeric level, msg, epoch time) are understood too', () => {
  const line = JSON.stringify({ level: 40, time: Date.parse(AT), msg: 'slow query', pid: 1 });
  assert.deepEqual(formatLogLine(line, plain), ['10:04:01.123 WARN  slow query']);
});

test('start-up chatter is info and below, except a process saying it is ready', () => {
  const event = (fields: Record<string, unknown>) => parseLogLine(ecs(fields));
  assert.equal(isStartupChatter(event({ message: 'applied 2 migration(s)', event: { action: 'migrated' } })!), true);
  assert.equal(isStartupChatter(event({ message: 'Server listening at http://127.0.0.1:8081' })!), true);
  assert.equal(isStartupChatter(event({ 'log.level': 'debug', message: 'x' })!), true);
  assert.equal(isStartupChatter(event({ message: 'users ready on http://127.0.0.1:8081', event: { action: 'started' } })!), false);
  assert.equal(isStartupChatter(event({ 'log.level': 'warn', message: 'slow' })!), false);
  assert.equal(isStartupChatter(parseLogLine(ERROR)!), false);
});
