import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Authenticator, IDENTITY_HEADER, parseAuthSettings, signIdentity, verifyIdentityHeader, type Identity } from '@flotilla/http';
import { createLogger } from '@flotilla/telemetry';
import { captureLogs } from '@flotilla/testing';
import { ManualClock } from '@flotilla/testing';

const secret = 'identity-secret-shared-by-gateway-and-services';
const identity: Identity = {
  subject: 'ada',
  roles: ['admin', 'reader'],
  method: 'jwt',
  claims: { email: 'ada@example.test', iss: 'x' },
};
const binding = { method: 'GET', target: '/users/7?expand=orders', requestId: 'req-1' };

describe('identity header', () => {
  test('round trip: what the gateway signs, a service reads back', () => {
    const value = signIdentity(identity, secret, { ...binding, claims: ['email'] });
    assert.match(value, /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const result = verifyIdentityHeader(value, [secret], binding);
    assert.deepEqual(result, {
      ok: true,
      identity: { subject: 'ada', roles: ['admin', 'reader'], method: 'jwt', claims: { email: 'ada@example.test' } },
    });
  });

  test('tampering with any part breaks the signature', () => {
    const value = signIdentity(identity, secret, binding);
    const [version, payload, signature] = value.split('.') as [string, string, string];
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...decoded, roles: ['admin', 'root'] })).toString('base64url');
    assert.deepEqual(verifyIdentityHeader(`${version}.${forged}.${signature}`, [secret], binding), {
      ok: false,
      reason: 'bad-signature',
    });
    assert.deepEqual(verifyIdentityHeader(`${version}.${payload}.${signature.slice(0, -2)}`, [secret], binding), {
      ok: false,
      reason: 'bad-signature',
    });
    assert.deepEqual(verifyIdentityHeader(value, ['another-secret-of-sufficient-length-000000'], binding), {
      ok: false,
      reason: 'bad-signature',
    });
    assert.deepEqual(verifyIdentityHeader('v2.a.b', [secret], binding), { ok: false, reason: 'malformed' });
    assert.deepEqual(verifyIdentityHeader('garbage', [secret], binding), { ok: false, reason: 'malformed' });
  });

  test('expiry, with the clock skew', () => {
    const now = Date.now();
    const value = signIdentity(identity, secret, { ...binding, ttlSeconds: 30, now });
    assert.equal(verifyIdentityHeader(value, [secret], binding, { now: now + 34_000, clockSkewSeconds: 5 }).ok, true);
    assert.deepEqual(verifyIdentityHeader(value, [secret], binding, { now: now + 36_000, clockSkewSeconds: 5 }), {
      ok: false,
      reason: 'expired',
    });
    assert.deepEqual(verifyIdentityHeader(value, [secret], binding, { now: now - 60_000 }), {
      ok: false,
      reason: 'expired',
    });
  });

  test('bound to its request: another method, target or request id is refused', () => {
    const value = signIdentity(identity, secret, binding);
    assert.deepEqual(verifyIdentityHeader(value, [secret], { ...binding, method: 'DELETE' }), {
      ok: false,
      reason: 'wrong-request',
    });
    assert.deepEqual(verifyIdentityHeader(value, [secret], { ...binding, target: '/users/8?expand=orders' }), {
      ok: false,
      reason: 'wrong-request',
    });
    assert.deepEqual(verifyIdentityHeader(value, [secret], { ...binding, requestId: 'req-2' }), {
      ok: false,
      reason: 'wrong-request',
    });
    assert.equal(verifyIdentityHeader(value, [secret], { ...binding, method: 'get' }).ok, true);
  });

  test('targets and request ids that JSON must escape are carried exactly', () => {
    for (const target of ['/search?q="quoted"', '/a\\b', '/caf\u00e9/\u{1F680}', '/tab\there', '/lone\ud800']) {
      const bound = { method: 'GET', target, requestId: 'rid-"1"\\' };
      const value = signIdentity(identity, secret, bound);
      assert.equal(verifyIdentityHeader(value, [secret], bound).ok, true, target);
      const payload = JSON.parse(Buffer.from(value.split('.')[1] as string, 'base64url').toString('utf8')) as {
        tgt: string;
        rid: string;
      };
      assert.equal(payload.tgt, target);
      assert.equal(payload.rid, bound.requestId);
      assert.deepEqual(verifyIdentityHeader(value, [secret], { ...bound, target: `${target}x` }), {
        ok: false,
        reason: 'wrong-request',
      });
    }
  });

  test('through the Authenticator: sign with secret, verify with secret or previousSecret, ignore (and log) bad ones', () => {
    const clock = new ManualClock();
    const logs = captureLogs();
    const gateway = new Authenticator(parseAuthSettings({ identityHeader: { secret, ttlSeconds: 10 } }), {
      clock: clock.read,
    });
    const service = new Authenticator(
      parseAuthSettings({
        identityHeader: { secret: 'the-next-identity-secret-being-rolled-out', previousSecret: secret },
      }),
      {
        clock: clock.read,
        logger: createLogger({ service: 'test', destination: logs.stream }),
      },
    );
    const value = gateway.signIdentityHeader(identity, binding);
    const headers = { [IDENTITY_HEADER]: value, 'x-request-id': 'req-1' };
    assert.equal(service.readIdentityHeader(headers, binding)?.subject, 'ada');

    clock.advance(16);
    assert.equal(service.readIdentityHeader(headers, binding), null);
    assert.equal(service.readIdentityHeader({ [IDENTITY_HEADER]: `${value}x` }, binding), null);
    assert.equal(service.readIdentityHeader({}, binding), null);
    const reasons = logs.lines.map((l) => (l.event as { reason?: string }).reason);
    assert.deepEqual(reasons, ['expired', 'bad-signature']);
    assert.ok(!logs.text().includes(value), 'the header value is not logged');

    const unconfigured = new Authenticator(parseAuthSettings({}));
    assert.equal(unconfigured.readIdentityHeader(headers, binding), null, 'no secret: never trusted');
    assert.throws(() => unconfigured.signIdentityHeader(identity, binding), /identityHeader is not configured/);
  });
});
