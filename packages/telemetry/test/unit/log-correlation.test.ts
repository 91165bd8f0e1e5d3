import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runWithContext } from '@flotilla/kit';
import { createHttpServer } from '@flotilla/http';
import { createLogger } from '@flotilla/telemetry';
import { captureLogs } from '@flotilla/testing';

test('a line written while serving a request carries its request id; one outside carries none', () => {
  const logs = captureLogs();
  const logger = createLogger({ service: 'svc', destination: logs.stream });
  runWithContext({ requestId: 'req-123' }, () => logger.info('inside'));
  logger.info('outside');
  const [inside, outside] = logs.lines;
  assert.equal(inside?.['http.request.id'], 'req-123');
  assert.equal(inside?.['service.name'], 'svc');
  assert.equal(outside?.['http.request.id'], undefined);
  assert.equal(inside?.['trace.id'], undefined, 'no trace ids without an active span');
});

test('correlate: false leaves lines alone', () => {
  const logs = captureLogs();
  const logger = createLogger({ service: 'svc', destination: logs.stream, correlate: false });
  runWithContext({ requestId: 'req-1' }, () => logger.info('inside'));
  assert.equal(logs.lines[0]?.['http.request.id'], undefined);
});

test('request loggers, which bind the id already, do not repeat it', async () => {
  const logs = captureLogs();
  const app = createHttpServer({ logger: createLogger({ service: 'svc', destination: logs.stream }) });
  app.get('/x', async (request) => {
    request.log.info('from the request logger');
    return { ok: true };
  });
  const response = await app.inject({ method: 'GET', url: '/x', headers: { 'x-request-id': 'abc-1' } });
  assert.equal(response.statusCode, 200);
  await app.close();
  const raw = logs
    .text()
    .split('\n')
    .find((line) => line.includes('from the request logger'));
  assert.ok(raw);
  assert.equal(raw.match(/"http\.request\.id"/g)?.length, 1);
  assert.equal((JSON.parse(raw) as Record<string, unknown>)['http.request.id'], 'abc-1');
});
