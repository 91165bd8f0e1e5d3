import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { type AccessEntry, correlationJson, createLogger, writeAccessLine } from '@flotilla/telemetry';
import { captureLogs } from '@flotilla/testing';

const ENTRIES: Array<[string, AccessEntry]> = [
  [
    'a GET with a query, a body length and a user agent',
    {
      status: 200,
      durationNs: 1_234_567.4,
      requestId: 'req-1',
      method: 'GET',
      url: '/users/0193a0c4?fields=name&x=%22',
      route: '/users/:id',
      clientAddress: '127.0.0.1',
      bodyBytes: 187,
      userAgent: 'probe/1 "quoted" \\ é ☃ \u0001',
    },
  ],
  [
    'a 503 without query, body length or client address, with trace ids',
    {
      status: 503,
      durationNs: 5e6,
      requestId: 'r-2',
      method: 'POST',
      url: '/orders',
      route: '(unmatched)',
      clientAddress: undefined,
      correlation: correlationJson('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', 'b7ad6b7169203331'),
    },
  ],
  [
    "the gateway's line: upstream and destination, a path that needs escaping",
    {
      status: 404,
      durationNs: 0,
      requestId: 'r-3',
      method: 'DELETE',
      url: '/api/"x"\\y?',
      route: 'api',
      clientAddress: '::1',
      upstream: 'users',
      destination: 'http://127.0.0.1:8081',
      bodyBytes: Number.NaN,
    },
  ],
];

/** The line as pino writes it from fields (what the kit wrote before), for the same entry. */
function throughPino(entry: AccessEntry): Record<string, unknown> {
  const logs = captureLogs();
  // A logger that is not the kit's: writeAccessLine hands it the fields.
  const plain = pino({ messageKey: 'message' }, logs.stream);
  writeAccessLine(plain, entry);
  const line = logs.lines[0];
  assert.ok(line, 'pino wrote the line');
  return line;
}

for (const [name, entry] of ENTRIES) {
  test(`the kit's access line is the ECS object pino would write: ${name}`, () => {
    const logs = captureLogs();
    const logger = createLogger({ service: 'users', version: '1.0.0', environment: 'dev', destination: logs.stream });
    writeAccessLine(logger.child({ 'http.request.id': entry.requestId }), entry);
    const written = logs.lines[0];
    assert.ok(written, logs.text());
    const expected = throughPino(entry);
    // Fields the line carries beyond pino's own envelope (level, time, pid, hostname differ by logger).
    for (const key of [
      'event',
      'http',
      'url',
      'client',
      'user_agent',
      'labels',
      'destination',
      'message',
      'trace.id',
      'span.id',
      'transaction.id',
    ])
      assert.deepEqual(written[key], expected[key], `${key} in ${logs.text()}`);
    assert.equal(written['log.level'], entry.status >= 500 ? 'error' : 'info');
    assert.equal(written['service.name'], 'users');
    assert.equal(written['http.request.id'], entry.requestId);
    assert.ok(!Number.isNaN(Date.parse(String(written['@timestamp']))));
  });
}

test('nothing is written below the logger level: info drops access lines, error keeps 5xx ones', () => {
  const logs = captureLogs();
  const logger = createLogger({ service: 's', level: 'error', destination: logs.stream });
  const entry = ENTRIES[1]?.[1] as AccessEntry;
  writeAccessLine(logger, { ...entry, status: 200 });
  assert.equal(logs.lines.length, 0);
  writeAccessLine(logger, entry);
  assert.equal(logs.lines.length, 1);
});
