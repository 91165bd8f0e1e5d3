/**
 * The console's session on a real gateway: login with an admin credential
 * sets an HttpOnly cookie and answers a CSRF token; with the cookie, reads
 * need nothing more, changes need the token, and a page of another origin is
 * refused; header credentials (the CLI's) need no token; logout ends the
 * session. Nothing secret reaches the log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, hs256, mintJwt, nowSeconds } from '@flotilla/testing';
import { hashApiKey } from '@flotilla/http';
import { ADMIN_KEY_HEADERS, type AdminGateway, call, startAdminGateway, TEST_ADMIN_KEY } from './admin-gateway.ts';

const READER_KEY = 'flk_test_reader_key_for_session_tests_only';
const JWT_SECRET = 'session-test-jwt-secret-0123456789abcdef0123456789';

describe('console sessions', () => {
  let gateway: AdminGateway;

  before(async () => {
    gateway = await startAdminGateway({
      yaml: `    - { id: reader, hash: '${hashApiKey(READER_KEY)}', roles: [reader] }
  jwt: { issuer: session-test, audience: flotilla-api, algorithms: [HS256], secret: '${JWT_SECRET}' }
`,
    });
  });
  after(() => gateway?.stop());

  const login = (credential: string, headers: Record<string, string> = {}) =>
    call(`${gateway.url}/admin/session`, { method: 'POST', body: { credential }, headers });

  /** Logs in with the admin key; the cookie pair and the CSRF token. */
  async function session(): Promise<{ cookie: string; csrf: string; subject: string }> {
    const answer = await login(TEST_ADMIN_KEY);
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    const setCookie = answer.headers.get('set-cookie') ?? '';
    const cookie = setCookie.split(';')[0] as string;
    return { cookie, csrf: answer.body.csrfToken as string, subject: answer.body.subject as string };
  }

  const ownOrigin = () => new URL(gateway.url).origin;
  /** A change with the cookie: the new namespace's `shared` document, so the test can see whether anything was stored. */
  const change = (headers: Record<string, string>, namespace: string) =>
    call(`${gateway.url}/admin/config-centre/${namespace}/shared`, {
      method: 'PUT',
      headers,
      body: { document: { workers: 1 }, expectedVersion: 0, message: 'from the console' },
    });
  const stored = async (namespace: string) => (await gateway.store.list(namespace)).includes('shared');

  test('login with the admin key: a session cookie (HttpOnly, SameSite=Strict, Path=/admin), the subject, roles, a CSRF token and the expiry', async () => {
    const answer = await login(TEST_ADMIN_KEY);
    assert.equal(answer.status, 201);
    assert.equal(answer.body.subject, 'test-admin');
    assert.deepEqual(answer.body.roles, ['admin']);
    assert.match(answer.body.csrfToken as string, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(Date.parse(answer.body.expiresAt as string) > Date.now());
    const setCookie = answer.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^flotilla_console=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/admin; Max-Age=\d+$/);
    assert.ok(!setCookie.includes(TEST_ADMIN_KEY), 'the cookie is not the credential');
    assert.ok(!setCookie.includes('Secure'), 'plain HTTP: not Secure');
  });

  test('behind a TLS proxy the cookie is Secure', async () => {
    const answer = await login(TEST_ADMIN_KEY, { 'x-forwarded-proto': 'https' });
    assert.equal(answer.status, 201);
    assert.match(answer.headers.get('set-cookie') ?? '', /; Secure$/);
  });

  test('a JWT with the admin role logs in too; its subject is the session subject', async () => {
    const token = mintJwt(
      { alg: 'HS256', typ: 'JWT' },
      { iss: 'session-test', aud: 'flotilla-api', sub: 'ada', roles: ['admin'], exp: nowSeconds() + 300 },
      hs256(JWT_SECRET),
    );
    const answer = await login(token);
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    assert.equal(answer.body.subject, 'ada');
  });

  test('a wrong or non-admin credential is 401, and no cookie is set', async () => {
    for (const credential of ['flk_not_a_key_at_all', READER_KEY, 'a.b.c']) {
      const answer = await login(credential);
      assert.equal(answer.status, 401, credential);
      assert.equal(answer.body.type, 'https://flotilla.dev/problems/unauthenticated');
      assert.equal(answer.headers.get('set-cookie'), null);
    }
    assert.equal((await call(`${gateway.url}/admin/session`, { method: 'POST', body: {} })).status, 400);
  });

  test('GET /admin/session with the cookie answers the same session (no new token); without one, 401', async () => {
    const { cookie, csrf, subject } = await session();
    const again = await call(`${gateway.url}/admin/session`, { headers: { cookie } });
    assert.equal(again.status, 200);
    assert.equal(again.body.subject, subject);
    assert.equal(again.body.csrfToken, csrf);
    assert.equal((await call(`${gateway.url}/admin/session`)).status, 401);
    assert.equal(
      (await call(`${gateway.url}/admin/session`, { headers: ADMIN_KEY_HEADERS })).status,
      401,
      'a header credential has no session',
    );
    assert.equal((await call(`${gateway.url}/admin/session`, { headers: { cookie: 'flotilla_console=made-up' } })).status, 401);
  });

  test('the cookie opens the admin API for reads without a token', async () => {
    const { cookie } = await session();
    assert.equal((await call(`${gateway.url}/admin/breakers`, { headers: { cookie } })).status, 200);
    assert.equal((await call(`${gateway.url}/admin/config-centre/namespaces`, { headers: { cookie } })).status, 200);
    assert.equal((await call(`${gateway.url}/admin/breakers`)).status, 401, 'no credential at all');
  });

  test('a change with the cookie but without the CSRF token is 403 csrf-token-mismatch and changes nothing', async () => {
    const { cookie } = await session();
    for (const headers of [{ cookie }, { cookie, 'x-csrf-token': 'not-the-token' }] as Array<Record<string, string>>) {
      const refused = await change(headers, 'csrf-none');
      assert.equal(refused.status, 403);
      assert.equal(refused.body.type, 'https://flotilla.dev/problems/forbidden');
      assert.equal(refused.body.reason, 'csrf-token-mismatch');
    }
    assert.equal(await stored('csrf-none'), false);
    const { csrf: otherToken } = await session();
    assert.equal((await change({ cookie, 'x-csrf-token': otherToken }, 'csrf-none')).status, 403, "another session's token");
    assert.equal(await stored('csrf-none'), false);
  });

  test('with the token the change is made, and its author is the session subject', async () => {
    const { cookie, csrf } = await session();
    const made = await change({ cookie, 'x-csrf-token': csrf, origin: ownOrigin() }, 'csrf-ok');
    assert.equal(made.status, 200, JSON.stringify(made.body));
    assert.equal(made.body.version, 1);
    const history = await gateway.store.history('csrf-ok', 'shared');
    assert.equal(history[0]?.author, 'test-admin');
  });

  test('a request from a page of another origin is refused, even with the token', async () => {
    const { cookie, csrf } = await session();
    for (const origin of ['http://evil.example', 'null', ownOrigin().replace('http:', 'https:')]) {
      const refused = await change({ cookie, 'x-csrf-token': csrf, origin }, 'csrf-origin');
      assert.equal(refused.status, 403, origin);
      assert.equal(refused.body.reason, 'origin-mismatch');
      const read = await call(`${gateway.url}/admin/breakers`, { headers: { cookie, origin } });
      assert.equal(read.status, 403, `read from ${origin}`);
    }
    assert.equal(await stored('csrf-origin'), false);
    const loginFromElsewhere = await login(TEST_ADMIN_KEY, { origin: 'http://evil.example' });
    assert.equal(loginFromElsewhere.status, 403);
    assert.equal(loginFromElsewhere.headers.get('set-cookie'), null);
  });

  test('a header credential (the CLI) needs no CSRF token, even with a cookie beside it', async () => {
    const made = await change({ ...ADMIN_KEY_HEADERS }, 'header-cli');
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const history = await gateway.store.history('header-cli', 'shared');
    assert.equal(history[0]?.author, 'test-admin');
    const withCookie = await change({ ...ADMIN_KEY_HEADERS, cookie: 'flotilla_console=made-up' }, 'header-cli-2');
    assert.equal(withCookie.status, 200);
  });

  test('logout ends the session and clears the cookie; the old cookie no longer works', async () => {
    const { cookie, csrf } = await session();
    const withoutToken = await call(`${gateway.url}/admin/session`, { method: 'DELETE', headers: { cookie } });
    assert.equal(withoutToken.status, 403, 'logout is a change too');
    const out = await call(`${gateway.url}/admin/session`, { method: 'DELETE', headers: { cookie, 'x-csrf-token': csrf } });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', /^flotilla_console=; HttpOnly; SameSite=Strict; Path=\/admin; Max-Age=0/);
    const after = await call(`${gateway.url}/admin/breakers`, { headers: { cookie } });
    assert.equal(after.status, 401);
    assert.match(after.headers.get('set-cookie') ?? '', /Max-Age=0/, 'the stale cookie is cleared');
  });

  test('neither the credential, the session id nor the CSRF token is ever logged', async () => {
    const { cookie, csrf } = await session();
    await call(`${gateway.url}/admin/breakers`, { headers: { cookie } });
    await change({ cookie, 'x-csrf-token': csrf }, 'logged');
    await login('flk_wrong_key_that_must_not_be_logged');
    await eventually(() => gateway.logs.withAction('console-login').length >= 2, { message: 'the login lines' });
    const text = gateway.logs.text();
    const id = cookie.split('=')[1] as string;
    for (const secret of [TEST_ADMIN_KEY, 'flk_wrong_key_that_must_not_be_logged', id, csrf])
      assert.ok(!text.includes(secret), `a secret reached the log: ${secret.slice(0, 6)}…`);
  });
});
