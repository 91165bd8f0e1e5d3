import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Authenticator, generateApiKey, hashApiKey, isAuthFailure, parseAuthSettings } from '@flotilla/http';
import { createLogger } from '@flotilla/telemetry';
import { captureLogs } from '@flotilla/testing';

const ops = generateApiKey();
const reporting = generateApiKey();
const retired = generateApiKey();

function settings(extra: Array<Record<string, unknown>> = []) {
  return parseAuthSettings({
    apiKeys: [
      { id: 'ops-cli', hash: ops.hash, roles: ['admin'] },
      { id: 'reporting', subject: 'svc:reporting', hash: reporting.hash, roles: ['reader'] },
      { id: 'old', hash: retired.hash, roles: ['admin'], revoked: true },
      ...extra,
    ],
  });
}

describe('API keys', () => {
  test('generated keys are random, prefixed, and hash to sha256:<hex>', () => {
    assert.match(ops.key, /^flk_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(ops.key, reporting.key);
    assert.match(ops.hash, /^sha256:[0-9a-f]{64}$/);
    assert.equal(hashApiKey(ops.key), ops.hash);
    assert.throws(() => hashApiKey('short'), /at least 20 characters/);
  });

  test('a valid key from x-api-key or Authorization: ApiKey yields its identity', async () => {
    const auth = new Authenticator(settings());
    for (const headers of [{ 'x-api-key': ops.key }, { authorization: `ApiKey ${ops.key}` }]) {
      const result = await auth.authenticate(headers);
      assert.ok(!isAuthFailure(result));
      assert.deepEqual(result.identity, {
        subject: 'ops-cli',
        roles: ['admin'],
        method: 'apiKey',
        claims: { keyId: 'ops-cli' },
      });
    }
    const other = await auth.authenticate({ 'x-api-key': reporting.key });
    assert.ok(!isAuthFailure(other));
    assert.equal(other.identity?.subject, 'svc:reporting');
  });

  test('an unknown key is a 401 with the challenge listing both schemes', async () => {
    const auth = new Authenticator(
      parseAuthSettings({
        jwt: { issuer: 'i', audience: 'a', algorithms: ['HS256'], secret: 'x'.repeat(32) },
        apiKeys: settings().apiKeys,
      }),
    );
    for (const key of [generateApiKey().key, `${ops.key}x`, ops.key.slice(0, -1), '', 'k'.repeat(5_000)]) {
      const result = await auth.authenticate({ 'x-api-key': key });
      assert.ok(isAuthFailure(result), `accepted ${key.slice(0, 20)}`);
      assert.equal(result.problem.code, 'unauthenticated');
      assert.equal(result.problem.message, 'The API key is not valid');
      assert.equal(result.wwwAuthenticate, 'Bearer realm="flotilla", ApiKey realm="flotilla"');
    }
  });

  test('a revoked key is refused and the attempt is logged without the key', async () => {
    const logs = captureLogs();
    const auth = new Authenticator(settings(), { logger: createLogger({ service: 'test', destination: logs.stream }) });
    const result = await auth.authenticate({ 'x-api-key': retired.key });
    assert.ok(isAuthFailure(result));
    assert.equal(result.problem.code, 'unauthenticated');
    assert.ok(logs.withAction('auth-revoked-key').length > 0);
    assert.ok(!logs.text().includes(retired.key));
  });

  test('removing a key through update() revokes it at once', async () => {
    const auth = new Authenticator(settings());
    assert.ok(!isAuthFailure(await auth.authenticate({ 'x-api-key': reporting.key })));
    auth.update(parseAuthSettings({ apiKeys: [{ id: 'ops-cli', hash: ops.hash, roles: ['admin'] }] }));
    assert.ok(isAuthFailure(await auth.authenticate({ 'x-api-key': reporting.key })));
    assert.ok(!isAuthFailure(await auth.authenticate({ 'x-api-key': ops.key })));
  });

  test('roles: 403 without a matching role (no Bearer challenge for a key), 401 without any key', async () => {
    const auth = new Authenticator(settings());
    const result = await auth.authenticate({ 'x-api-key': reporting.key });
    assert.ok(!isAuthFailure(result));
    const denied = auth.authorize(result.identity, { roles: ['admin'] });
    assert.equal(denied?.problem.code, 'forbidden');
    assert.equal(denied?.wwwAuthenticate, undefined);
    assert.equal(auth.authorize(result.identity, { roles: ['reader', 'admin'] }), undefined);
    const missing = auth.authorize(null, { roles: ['admin'] });
    assert.equal(missing?.problem.code, 'unauthenticated');
    assert.equal(missing?.wwwAuthenticate, 'ApiKey realm="flotilla"');
  });
});
