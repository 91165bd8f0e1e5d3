/**
 * Request bodies are read only when every JSON parser would read them the
 * same way (I-JSON, RFC 7493) and hold nothing dangerous downstream; the rest
 * is a 400 bad-request whose detail names the rule, never the input, and the
 * handler never runs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHttpServer, type HttpApp } from '@flotilla/http';
import { createLogger } from '@flotilla/telemetry';
import { captureLogs } from '@flotilla/testing';
import Type from 'typebox';
import { rawExchange } from '@flotilla/testing';

const logs = captureLogs();
let app: HttpApp;
let port: number;
let handled = 0;

before(async () => {
  app = createHttpServer({ logger: createLogger({ service: 'test', destination: logs.stream }), bodyLimitBytes: 2_000_000 });
  app.post('/echo', { schema: { body: Type.Unknown() } }, async (request) => {
    handled++;
    return { body: request.body };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
});

after(() => app.close());

function post(body: string | Buffer): Promise<Awaited<ReturnType<typeof rawExchange>>> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const head = `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${bytes.length}\r\n\r\n`;
  return rawExchange(port, [head, bytes]);
}

describe('bodies that are refused', () => {
  const REFUSED: Record<string, [string | Buffer, RegExp]> = {
    'not JSON': ['{"a":', /not valid JSON/],
    empty: ['', /empty/],
    'a byte-order mark': ['\ufeff{}', /not valid JSON/],
    'invalid UTF-8': [Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), /UTF-8/],
    'an overlong UTF-8 encoding': [Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), /UTF-8/],
    'a member named twice': ['{"a":1,"b":2,"a":3}', /twice/],
    'a member named twice, once escaped': ['{"a":1,"\\u0061":2}', /twice/],
    'a member named twice, deep inside': ['[{"x":{"y":1,"y":1}}]', /twice/],
    __proto__: ['{"__proto__":{"polluted":true}}', /reserved/],
    '__proto__, escaped': ['{"\\u005f_proto__":{"polluted":true}}', /reserved/],
    'constructor.prototype': ['{"a":[{"constructor":{"prototype":{"polluted":true}}}]}', /reserved/],
    'a NUL escape': ['{"a":"x\\u0000y"}', /NUL/],
    'a NUL escape in a name': ['{"x\\u0000":1}', /NUL/],
    'a raw NUL': ['{"a":"x\0y"}', /not valid JSON/],
    'an unpaired high surrogate': ['{"a":"\\ud800"}', /surrogate/],
    'an unpaired low surrogate': ['["\\udc00x"]', /surrogate/],
    '1e400': ['{"n":1e400}', /number/],
    '-1e400': ['[-1e400]', /number/],
    '100 000 levels of arrays': [`${'['.repeat(100_000)}${']'.repeat(100_000)}`, /deeper/],
    '100 000 levels of objects': [`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`, /deeper/],
  };
  for (const [what, [body, detail]] of Object.entries(REFUSED)) {
    test(what, async () => {
      const before = handled;
      const answer = await post(body);
      assert.equal(answer.status, 400, answer.body);
      const problem = JSON.parse(answer.body) as { type: string; detail: string };
      assert.equal(problem.type, 'https://flotilla.dev/problems/bad-request');
      assert.match(problem.detail, detail);
      for (const echoed of ['polluted', 'proto__":', '1e400', '\\u']) assert.ok(!problem.detail.includes(echoed), problem.detail);
      assert.equal(handled, before, 'the handler did not run');
    });
  }
});

describe('bodies that are read', () => {
  const READ: Record<string, unknown> = {
    '{"a":"\\"quoted\\" \\\\ back\\\\slash"}': { a: '"quoted" \\ back\\slash' },
    '{"emoji":"\\ud83d\\ude00","accent":"é"}': { emoji: '😀', accent: 'é' },
    '{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}': { a: { a: { a: 1 } }, b: [{ a: 1 }, { a: 2 }] },
    '{"constructor":"a name like any other","prototype":1}': { constructor: 'a name like any other', prototype: 1 },
    '[9007199254740991,-9007199254740991,1.5e300,0.1,1e-400]': [9007199254740991, -9007199254740991, 1.5e300, 0.1, 0],
    // Past 2^53 an integer is rounded, as JSON.parse does: the route's schema (a maximum) is what refuses it, naming the field.
    '[9007199254740993,1234567890123456789012345678901234567890]': [9007199254740992, 1.2345678901234568e39],
    '"a string"': 'a string',
    [`${'['.repeat(64)}${']'.repeat(64)}`]: JSON.parse(`${'['.repeat(64)}${']'.repeat(64)}`),
  };
  for (const [body, expected] of Object.entries(READ)) {
    test(body.slice(0, 60), async () => {
      const answer = await post(body);
      assert.equal(answer.status, 200, answer.body);
      assert.deepEqual((JSON.parse(answer.body) as { body: unknown }).body, expected);
    });
  }

  test('nothing unexpected was logged', () => {
    assert.deepEqual(
      logs.lines.filter((line) => (line.level as number) >= 50),
      [],
    );
  });
});
