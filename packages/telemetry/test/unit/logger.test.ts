import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '@flotilla/telemetry';
import { captureLogs } from '@flotilla/testing';

test('log lines are ECS JSON with service fields', () => {
  const logs = captureLogs();
  const logger = createLogger({ service: 'users', version: '1.2.3', environment: 'dev', destination: logs.stream });
  logger.info({ event: { action: 'x' } }, 'hello');
  const line = logs.lines[0];
  assert.ok(line);
  assert.equal(line['log.level'], 'info');
  assert.equal(line.message, 'hello');
  assert.equal(line['service.name'], 'users');
  assert.equal(line['service.version'], '1.2.3');
  assert.equal(line['service.environment'], 'dev');
  assert.ok(typeof line['@timestamp'] === 'string' && !Number.isNaN(Date.parse(line['@timestamp'])));
  assert.ok(typeof line['ecs.version'] === 'string');
});

test('errors become ECS error.* fields', () => {
  const logs = captureLogs();
  createLogger({ service: 's', destination: logs.stream }).error({ err: new TypeError('boom') }, 'failed');
  const error = logs.lines[0]?.error as Record<string, unknown>;
  assert.equal(error.type, 'TypeError');
  assert.equal(error.message, 'boom');
  assert.match(String(error.stack_trace), /TypeError: boom/);
});

test('secrets are redacted: auth headers, passwords, tokens, DSN passwords', () => {
  const logs = captureLogs();
  const logger = createLogger({ service: 's', destination: logs.stream });
  logger.info(
    {
      http: {
        request: {
          headers: { authorization: 'Bearer abc.def.ghi', cookie: 'session=xyz', accept: 'application/json' },
        },
      },
      user: { password: 'hunter2', name: 'ada' },
      token: 'tok-123',
      database: { dsn: 'postgres://app:pa55word@db:5432/app' },
    },
    'request',
  );
  const text = logs.text();
  for (const secret of ['abc.def.ghi', 'session=xyz', 'hunter2', 'tok-123', 'pa55word'])
    assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
  const line = logs.lines[0] as {
    database: { dsn: string };
    user: { name: string };
    http: { request: { headers: { accept: string } } };
  };
  assert.equal(line.database.dsn, 'postgres://app:***@db:5432/app', 'the DSN keeps its shape');
  assert.equal(line.user.name, 'ada');
  assert.equal(line.http.request.headers.accept, 'application/json');
});
