import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  Authenticator,
  createHttpServer,
  generateApiKey,
  IDENTITY_HEADER,
  parseAuthSettings,
  registerAuth,
  type HttpApp,
} from '@flotilla/http';
import { createLogger } from '@flotilla/telemetry';
import { captureLogs, hs256, mintJwt, nowSeconds } from '@flotilla/testing';
import { goodClaims, SECRET } from '@flotilla/testing';

const identitySecret = 'identity-secret-shared-by-gateway-and-services';
const adminKey = generateApiKey();
const readerKey = generateApiKey();
const settings = parseAuthSettings({
  jwt: { issuer: 'https://issuer.test', audience: 'flotilla', algorithms: ['HS256'], secret: SECRET },
  apiKeys: [
    { id: 'admin-key', hash: adminKey.hash, roles: ['admin'] },
    { id: 'reader-key', hash: readerKey.hash, roles: ['reader'] },
  ],
  identityHeader: { secret: identitySecret },
});
const token = (claims: Record<string, unknown> = {}) => mintJwt({ alg: 'HS256', typ: 'JWT' }, goodClaims(claims), hs256(SECRET));

const logs = captureLogs();
let app: HttpApp;
let strictApp: HttpApp;
let base: string;

function build(trustIdentityHeader: boolean): HttpApp {
  const server = createHttpServer({ logger: createLogger({ service: 'test', destination: logs.stream }) });
  registerAuth(server, { authenticator: new Authenticator(settings), trustIdentityHeader });
  server.get('/public', async (request) => ({ identity: request.identity }));
  server.get('/me', { config: { auth: { required: true } } }, async (request) => ({ identity: request.identity }));
  server.get('/optional', { config: { auth: { required: false } } }, async (request) => ({
    subject: request.identity?.subject ?? null,
  }));
  server.get('/admin', { config: { auth: { roles: ['admin'] } } }, async (request) => ({
    subject: request.identity?.subject,
    method: request.identity?.method,
  }));
  server.post('/admin', { config: { auth: { roles: ['admin'] } } }, async () => ({ created: true }));
  return server;
}

before(async () => {
  app = build(true);
  strictApp = build(false);
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
after(async () => {
  await app.close();
  await strictApp.close();
});

async function call(path: string, headers: Record<string, string> = {}, init: RequestInit = {}) {
  const response = await fetch(`${base}${path}`, { ...init, headers });
  const body = (await response.json()) as Record<string, unknown>;
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate'),
    type: response.headers.get('content-type'),
    body,
  };
}

describe('registerAuth on a real server', () => {
  test('routes without config.auth are untouched', async () => {
    const result = await call('/public', { authorization: 'Bearer garbage' });
    assert.equal(result.status, 200);
    assert.deepEqual(result.body, { identity: null });
    assert.equal((await call('/no-such-route')).status, 404);
  });

  test('required route: 401 problem+json with a bare challenge, then 200 with a token', async () => {
    const missing = await call('/me');
    assert.equal(missing.status, 401);
    assert.equal(missing.type, 'application/problem+json; charset=utf-8');
    assert.equal(missing.body.type, 'https://flotilla.dev/problems/unauthenticated');
    assert.equal(missing.challenge, 'Bearer realm="flotilla", ApiKey realm="flotilla"');

    const ok = await call('/me', { authorization: `Bearer ${token()}` });
    assert.equal(ok.status, 200);
    assert.equal((ok.body.identity as { subject: string }).subject, 'ada');
  });

  test('a bad token: 401 with error="invalid_token"', async () => {
    const expired = await call('/me', { authorization: `Bearer ${token({ exp: nowSeconds() - 3600 })}` });
    assert.equal(expired.status, 401);
    assert.equal(expired.challenge, 'Bearer realm="flotilla", error="invalid_token", error_description="The access token expired"');
    assert.equal(expired.body.detail, 'The access token expired');
  });

  test('roles: 403 for a reader token (insufficient_scope) or reader key (no challenge); 200 for the admin key', async () => {
    const reader = await call('/admin', { authorization: `Bearer ${token()}` });
    assert.equal(reader.status, 403);
    assert.equal(reader.body.type, 'https://flotilla.dev/problems/forbidden');
    assert.match(reader.challenge ?? '', /error="insufficient_scope"/);
    const readerByKey = await call('/admin', { 'x-api-key': readerKey.key });
    assert.equal(readerByKey.status, 403);
    assert.equal(readerByKey.challenge, null);
    const admin = await call('/admin', { 'x-api-key': adminKey.key });
    assert.deepEqual([admin.status, admin.body], [200, { subject: 'admin-key', method: 'apiKey' }]);
    assert.equal((await call('/admin', { authorization: `Bearer ${token({ roles: ['admin'] })}` })).status, 200);
  });

  test('optional route: anonymous is fine, a presented credential must still be valid', async () => {
    assert.deepEqual((await call('/optional')).body, { subject: null });
    assert.deepEqual((await call('/optional', { authorization: `Bearer ${token()}` })).body, { subject: 'ada' });
    assert.equal((await call('/optional', { 'x-api-key': 'flk_not-a-real-key-at-all-0000' })).status, 401);
  });

  test('refused before the body is read: a broken body on a protected route is a 401, not a 400', async () => {
    const result = await call('/admin', { 'content-type': 'application/json' }, { method: 'POST', body: '{not json' });
    assert.equal(result.status, 401);
  });

  test('a valid gateway identity header is trusted without any other credential', async () => {
    const gateway = new Authenticator(settings);
    const identity = { subject: 'grace', roles: ['admin'], method: 'jwt' as const, claims: {} };
    const header = gateway.signIdentityHeader(identity, { method: 'GET', target: '/admin?x=1', requestId: 'rid-1' });
    const ok = await call('/admin?x=1', { [IDENTITY_HEADER]: header, 'x-request-id': 'rid-1' });
    assert.deepEqual([ok.status, ok.body], [200, { subject: 'grace', method: 'jwt' }]);

    // Replayed elsewhere, tampered, or without the secret on the service side: ignored, so no credential → 401.
    assert.equal((await call('/admin?x=2', { [IDENTITY_HEADER]: header, 'x-request-id': 'rid-1' })).status, 401);
    assert.equal((await call('/admin?x=1', { [IDENTITY_HEADER]: `${header}A`, 'x-request-id': 'rid-1' })).status, 401);
    assert.equal((await call('/admin?x=1', { [IDENTITY_HEADER]: header, 'x-request-id': 'rid-2' })).status, 401);
    const untrusted = await strictApp.inject({
      method: 'GET',
      url: '/admin?x=1',
      headers: { [IDENTITY_HEADER]: header, 'x-request-id': 'rid-1' },
    });
    assert.equal(untrusted.statusCode, 401);

    // An ignored header does not stop the request's own credential from working.
    const fallback = await call('/admin?x=2', {
      [IDENTITY_HEADER]: header,
      'x-request-id': 'rid-1',
      'x-api-key': adminKey.key,
    });
    assert.equal(fallback.status, 200);
  });
});
