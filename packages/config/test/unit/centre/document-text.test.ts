/** A document given as data written back as YAML: only what changed is rewritten, comments and references of the rest stay. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfigText, renderConfigText } from '@flotilla/config';

const PREVIOUS = `# the gateway
http: { host: 127.0.0.1, port: 8080 } # listener
log:
  level: info # how chatty
auth:
  jwt:
    secret: \${JWT_SECRET:-dev-only}
routes:
  - name: users # first
    path: /api/users/**
  - name: orders
    path: /api/orders/**
`;

describe('renderConfigText', () => {
  test('a changed value keeps every comment and reference around it', () => {
    const data = parseConfigText(PREVIOUS, 'test');
    (data.log as Record<string, unknown>).level = 'debug';
    const text = renderConfigText(data, PREVIOUS);
    assert.equal(text, PREVIOUS.replace('level: info', 'level: debug'));
  });

  test('changed values only: every other character stays, long flow mappings and quoting included', () => {
    const previous = `auth:
  apiKeys:
    - { id: test-admin, hash: 'sha256:922ca41355e5578a669dedfa873ce9505cb8a53f4cf228f717ef38a1e0d9814e', roles: [admin] }
log: { level: info } # c
name: "quoted"
`;
    const data = parseConfigText(previous, 'test');
    (data.log as Record<string, unknown>).level = 'warn';
    data.name = 'with, comma';
    ((data.auth as Record<string, unknown[]>).apiKeys?.[0] as Record<string, unknown>).id = 'true';
    const text = renderConfigText(data, previous);
    assert.equal(
      text,
      previous.replace('level: info', 'level: warn').replace('"quoted"', '"with, comma"').replace('id: test-admin', 'id: "true"'),
    );
    assert.deepEqual(parseConfigText(text, 'rendered'), data);
  });

  test('added, removed and changed keys and list items; the result parses to exactly the data', () => {
    const data = parseConfigText(PREVIOUS, 'test');
    data.rateLimit = { policies: { api: { limit: 5, windowSeconds: 1 } } };
    delete data.auth;
    (data.routes as Array<Record<string, unknown>>)[1] = { name: 'orders', path: '/api/o/**' };
    (data.http as Record<string, unknown>).requestTimeoutMs = 600000;
    const text = renderConfigText(data, PREVIOUS);
    assert.deepEqual(parseConfigText(text, 'rendered'), data);
    assert.match(text, /^# the gateway\n/);
    assert.match(text, /# listener/);
    assert.match(text, /- name: users # first/);
    assert.ok(!text.includes('JWT_SECRET'));
  });

  test('a list of another length is written anew', () => {
    const data = parseConfigText(PREVIOUS, 'test');
    (data.routes as unknown[]).pop();
    assert.deepEqual(parseConfigText(renderConfigText(data, PREVIOUS), 'rendered'), data);
  });

  test('without a previous text (or with one that is not a mapping) the data is written as block YAML', () => {
    assert.equal(renderConfigText({ log: { level: 'debug' } }), 'log:\n  level: debug\n');
    assert.equal(renderConfigText({ a: 1 }, '- not a mapping\n'), 'a: 1\n');
    assert.equal(renderConfigText({}), '{}\n');
    assert.deepEqual(parseConfigText(renderConfigText({}), 'empty'), {});
  });
});
