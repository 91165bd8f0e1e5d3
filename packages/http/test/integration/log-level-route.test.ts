/**
 * `GET`/`PUT /admin/log-level` on a real server: the level is read, changed at
 * once (a debug line is written right after, without a restart), and a level
 * pino does not know is a 400 problem that changes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHttpServer, type HttpApp, LOG_LEVELS, registerLogLevelRoute } from '@flotilla/http';
import { createLogger, type Logger } from '@flotilla/telemetry';
import { captureLogs } from '@flotilla/testing';

describe('the log-level admin route', () => {
  const logs = captureLogs();
  let logger: Logger;
  let app: HttpApp;
  let base: string;

  before(async () => {
    logger = createLogger({ service: 'levels-test', destination: logs.stream, level: 'info' });
    app = createHttpServer({ logger, bodyLimitBytes: 1024 });
    await app.register(async (scope) => registerLogLevelRoute(scope as never, logger), { prefix: '/admin' });
    app.get('/work', async () => {
      logger.debug({ event: { action: 'work-detail' } }, 'the detail of the work');
      return { ok: true };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;
  });
  after(() => app?.close());

  const put = (body: unknown) =>
    fetch(`${base}/admin/log-level`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  test("pino's levels and silent are the ones accepted", () => {
    assert.deepEqual(LOG_LEVELS, ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);
  });

  test('reads the level, sets it at once, and the next debug line is written', async () => {
    assert.deepEqual(await (await fetch(`${base}/admin/log-level`)).json(), { level: 'info' });
    await fetch(`${base}/work`);
    assert.equal(logs.withAction('work-detail').length, 0, 'no debug line at info');

    const changed = await put({ level: 'debug' });
    assert.equal(changed.status, 200);
    assert.deepEqual(await changed.json(), { level: 'debug' });
    assert.equal(logger.level, 'debug');
    await fetch(`${base}/work`);
    assert.equal(logs.withAction('work-detail').length, 1, 'a debug line, without a restart');
    const recorded = logs.withAction('log-level-changed').at(-1) as { labels?: Record<string, string> };
    assert.deepEqual(recorded.labels, { previous_level: 'info', level: 'debug' });
    assert.deepEqual(await (await fetch(`${base}/admin/log-level`)).json(), { level: 'debug' });
  });

  test('an unknown level, or anything else in the body, is a 400 problem and the level stays', async () => {
    for (const body of [{ level: 'loud' }, { level: 'DEBUG' }, {}, { level: 'info', extra: 1 }, { level: 10 }]) {
      const refused = await put(body);
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.equal(refused.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal(((await refused.json()) as { type: string }).type, 'https://flotilla.dev/problems/validation');
    }
    assert.equal(logger.level, 'debug');
  });
});
