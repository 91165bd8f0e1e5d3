import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, REDACT_PATHS, redactSecrets } from '@flotilla/telemetry';
import { captureLogs } from '@flotilla/testing';

/** An object holding `value` at the pino path `path` (`a.b["c"]`, `*` as `any`). */
function objectAt(path: string, value: unknown): Record<string, unknown> {
  const keys = path
    .replace(/\["([^"]+)"\]/g, '.$1')
    .split('.')
    .map((key) => (key === '*' ? 'any' : key));
  const root: Record<string, unknown> = {};
  let node = root;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) node[key] = value;
    else {
      const inner: Record<string, unknown> = {};
      node[key] = inner;
      node = inner;
    }
  });
  return root;
}

test('every documented redaction path is censored in a written line, and nothing else changes', () => {
  for (const path of REDACT_PATHS) {
    const logs = captureLogs();
    const secret = `s3cr3t${REDACT_PATHS.indexOf(path)}`;
    // Connection strings lose their password only.
    const connection = /(^|\.)(dsn|url|connectionString)$/.test(path);
    const fields = { ...objectAt(path, connection ? `postgres://app:${secret}@db:5432/app` : secret), kept: { name: 'ada' } };
    createLogger({ service: 's', destination: logs.stream }).info(fields, 'line');
    assert.ok(!logs.text().includes(secret), `${path}: ${logs.text()}`);
    assert.deepEqual(logs.lines[0]?.kept, { name: 'ada' }, path);
  }
});

test('connection strings keep their shape with the password masked; an ECS url object is left alone', () => {
  const out = redactSecrets({
    database: { dsn: 'postgres://app:pa55word@db:5432/app' },
    url: { path: '/users/1', query: 'a=1' },
    upstream: { url: 'http://user:hunter2@users:8080/' },
  });
  assert.equal(out.database.dsn, 'postgres://app:***@db:5432/app');
  assert.deepEqual(out.url, { path: '/users/1', query: 'a=1' });
  assert.ok(!out.upstream.url.includes('hunter2'));
});

test("the caller's object is never changed, and an object without secrets is returned as it is", () => {
  const headers = { authorization: 'Bearer abc', accept: 'application/json' };
  const fields = { req: { headers }, list: [{ token: 't1' }, { name: 'x' }], plain: { a: 1 } };
  const out = redactSecrets(fields);
  assert.equal(headers.authorization, 'Bearer abc');
  assert.equal(fields.list[0]?.token, 't1');
  assert.equal(out.req.headers.authorization, '[REDACTED]');
  assert.equal(out.req.headers.accept, 'application/json');
  assert.equal((out.list[0] as { token: string }).token, '[REDACTED]');
  assert.equal(out.plain, fields.plain, 'untouched branches are shared, not copied');
  const clean = { event: { kind: 'event' }, http: { request: { id: 'r', method: 'GET' } } };
  assert.equal(redactSecrets(clean), clean);
});

test('fields below the third level are not walked (as the pino paths `*.*.f` go no deeper)', () => {
  const deep = { a: { b: { c: { password: 'deep' } } } };
  assert.equal(redactSecrets(deep), deep);
});

test('child bindings are redacted too', () => {
  const logs = captureLogs();
  createLogger({ service: 's', destination: logs.stream })
    .child({ token: 'bound-secret', user: { password: 'p' } })
    .info('line');
  assert.ok(!logs.text().includes('bound-secret'), logs.text());
  assert.ok(!logs.text().includes('"password":"p"'), logs.text());
  assert.equal(logs.lines[0]?.token, '[REDACTED]');
});

test('errors are still ECS error fields, and a child made with empty options is a working child', () => {
  const logs = captureLogs();
  const child = createLogger({ service: 's', destination: logs.stream }).child({ 'http.request.id': 'r-1' }, {});
  child.error({ err: new RangeError('out'), password: 'x' }, 'failed');
  const line = logs.lines[0] as Record<string, unknown>;
  assert.equal((line.error as { type: string }).type, 'RangeError');
  assert.equal(line.password, '[REDACTED]');
  assert.equal(line['http.request.id'], 'r-1');
  assert.equal(line.err, undefined);
});
