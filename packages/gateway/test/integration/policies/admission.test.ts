/**
 * What the gateway decides before an upstream is touched, through a real
 * gateway process: authentication and roles per route (401 with a Bearer
 * challenge, `invalid_token`, 403), the signed identity the upstream
 * receives (and that a client cannot forge), the admin endpoints behind the
 * admin credential, and a local rate limit with its IETF headers and 429.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signIdentity, verifyIdentityHeader } from '@flotilla/http';
import { mintJwt } from '@flotilla/testing';
import { startChildGateway, type ChildGateway } from '../support/child-gateway.ts';
import { echo, send, startUpstream, type Upstream } from '../support/http.ts';
import { ADMIN_KEY, IDENTITY_SECRET, READER_KEY, REALM, authYaml, bearer, problemOf, problemType, token } from '../support/policies.ts';

describe('gateway admission policies (auth, admin, rate limit)', () => {
  let upstream: Upstream;
  let gateway: ChildGateway;

  before(async () => {
    upstream = await startUpstream(echo);
    gateway = await startChildGateway(`proxy: { accessLog: false }
shedding: { enabled: false }
upstreams:
  orders: { instances: ['${upstream.url}'] }
${authYaml()}rateLimit:
  policies:
    tight: { limit: 3, windowSeconds: 3600 }
routes:
  - { name: orders, path: /api/orders/**, upstream: orders, stripPrefix: /api, auth: { roles: [orders] } }
  - { name: public, path: /api/public/**, upstream: orders, stripPrefix: /api }
  - { name: limited, path: /api/limited/**, upstream: orders, stripPrefix: /api, rateLimit: tight }
`);
  });
  after(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  /** Sends to the gateway and reports whether the upstream saw the request. */
  const through = async (path: string, headers: Record<string, string> = {}) => {
    const before = upstream.seen.length;
    const answer = await send(`${gateway.url}${path}`, { headers });
    return { answer, reached: upstream.seen.length > before };
  };

  test('no credential on a route that requires one: 401 with a Bearer challenge, upstream untouched', async () => {
    const { answer, reached } = await through('/api/orders/1');
    assert.equal(answer.status, 401);
    assert.equal(problemOf(answer).type, problemType('unauthenticated'));
    assert.match(String(answer.headers['www-authenticate']), new RegExp(`^Bearer realm="${REALM}"`));
    assert.doesNotMatch(String(answer.headers['www-authenticate']), /error=/, 'no credential is not an invalid one');
    assert.equal(reached, false);
  });

  test('an expired, forged or unsigned token: 401 invalid_token, upstream untouched', async () => {
    const past = Math.floor(Date.now() / 1000) - 3_600;
    const bad = {
      expired: token({ roles: ['orders'], iat: past - 600, exp: past }),
      forged: token({ roles: ['orders'] }, 'not-the-gateway-secret-but-just-as-long-0123'),
      'alg none': mintJwt(
        { alg: 'none', typ: 'JWT' },
        { iss: 'flotilla-test-issuer', aud: 'flotilla-api', sub: 'ada', roles: ['orders'], exp: past + 7_200 },
        undefined,
      ),
    };
    for (const [what, jwt] of Object.entries(bad)) {
      const { answer, reached } = await through('/api/orders/1', bearer(jwt));
      assert.equal(answer.status, 401, what);
      assert.equal(problemOf(answer).type, problemType('unauthenticated'), what);
      assert.match(String(answer.headers['www-authenticate']), new RegExp(`^Bearer realm="${REALM}", error="invalid_token"`), what);
      assert.equal(reached, false, what);
    }
  });

  test("a valid token without the route's role: 403, upstream untouched", async () => {
    const { answer, reached } = await through('/api/orders/1', bearer(token({ roles: ['reader'] })));
    assert.equal(answer.status, 403);
    assert.equal(problemOf(answer).type, problemType('forbidden'));
    assert.equal(reached, false);
  });

  test('a valid token passes; the upstream gets a signed identity for this request, never the one the client sent', async () => {
    const forged = signIdentity(
      { subject: 'mallory', roles: ['admin'], method: 'jwt', claims: {} },
      'a-secret-the-attacker-made-up-0123456789',
      {
        method: 'GET',
        target: '/orders/1',
      },
    );
    const { answer, reached } = await through('/api/orders/1?x=1', {
      ...bearer(token({ sub: 'ada', roles: ['orders'] })),
      'x-flotilla-identity': forged,
    });
    assert.equal(answer.status, 200, answer.body);
    assert.ok(reached);
    const seen = upstream.seen.at(-1)!;
    assert.equal(seen.rawHeaderNames.filter((name) => name === 'x-flotilla-identity').length, 1, 'exactly one identity header');
    const verified = verifyIdentityHeader(String(seen.headers['x-flotilla-identity']), [IDENTITY_SECRET], {
      method: 'GET',
      target: seen.url,
      requestId: String(seen.headers['x-request-id']),
    });
    assert.ok(verified.ok, `identity header did not verify: ${JSON.stringify(verified)}`);
    assert.equal(verified.identity.subject, 'ada');
    assert.deepEqual(verified.identity.roles, ['orders']);
    assert.equal(verified.identity.method, 'jwt');
    assert.equal(seen.url, '/orders/1?x=1');

    // On a route without auth the client's header is dropped and nothing is signed.
    const open = await through('/api/public/x', { 'x-flotilla-identity': forged });
    assert.equal(open.answer.status, 200);
    assert.ok(!upstream.seen.at(-1)!.rawHeaderNames.includes('x-flotilla-identity'));
  });

  test('admin endpoints: 401 without a credential, 403 for a non-admin, 200 for the admin key or an admin token', async () => {
    for (const path of ['/admin/breakers', '/admin/limits']) {
      const none = await send(`${gateway.url}${path}`);
      assert.equal(none.status, 401, path);
      assert.match(String(none.headers['www-authenticate']), new RegExp(`^Bearer realm="${REALM}"`), path);
      const reader = await send(`${gateway.url}${path}`, { headers: { 'x-api-key': READER_KEY } });
      assert.equal(reader.status, 403, path);
      assert.equal(problemOf(reader).type, problemType('forbidden'), path);
      const admin = await send(`${gateway.url}${path}`, { headers: { 'x-api-key': ADMIN_KEY } });
      assert.equal(admin.status, 200, `${path}: ${admin.body}`);
      const adminToken = await send(`${gateway.url}${path}`, {
        headers: bearer(token({ sub: 'root', roles: ['admin'] })),
      });
      assert.equal(adminToken.status, 200, path);
    }
    const breakers = (await send(`${gateway.url}/admin/breakers`, { headers: { 'x-api-key': ADMIN_KEY } })).json<{
      upstreams: Record<string, unknown>;
    }>();
    assert.ok('orders' in breakers.upstreams, 'the upstream that served requests is listed');
    const limits = (await send(`${gateway.url}/admin/limits`, { headers: { 'x-api-key': ADMIN_KEY } })).json<{
      policies: Record<string, unknown>;
    }>();
    assert.ok('tight' in limits.policies);
  });

  test('rate limit: answers carry RateLimit-Policy and RateLimit; beyond the limit 429 problem+json with Retry-After', async () => {
    const hitsBefore = upstream.seen.length;
    for (const remaining of [2, 1, 0]) {
      const answer = await send(`${gateway.url}/api/limited/x`);
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['ratelimit-policy'], '"tight";q=3;w=3600');
      assert.match(String(answer.headers.ratelimit), new RegExp(`^"tight";r=${remaining};t=\\d+$`));
    }
    const refused = await send(`${gateway.url}/api/limited/x`);
    assert.equal(refused.status, 429);
    const problem = problemOf(refused);
    assert.equal(problem.type, problemType('rate-limited'));
    assert.equal(problem.policy, 'tight');
    assert.ok(Number(refused.headers['retry-after']) >= 1, `Retry-After: ${refused.headers['retry-after']}`);
    assert.equal(refused.headers['ratelimit-policy'], '"tight";q=3;w=3600');
    assert.match(String(refused.headers.ratelimit), /^"tight";r=0;t=\d+$/);
    assert.equal(upstream.seen.length - hitsBefore, 3, 'the refused request never reached the upstream');

    const unlimited = await send(`${gateway.url}/api/public/x`);
    assert.equal(unlimited.status, 200);
    assert.equal(unlimited.headers['ratelimit-policy'], undefined, 'a route without a policy carries no RateLimit headers');
  });
});
