/**
 * Every kit service checks routes that declare `config: { auth }` and trusts
 * the gateway's signed identity header, from its own `auth` config section.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { serviceConfig } from '@flotilla/service';
import { captureLogs } from '@flotilla/testing';
import { defineService } from '../../src/index.ts';
import { IDENTITY_HEADER, signIdentity } from '@flotilla/http';

const SECRET = 'identity-secret-shared-with-the-gateway-for-tests';
const dir = mkdtempSync(join(tmpdir(), 'flotilla-service-auth-'));
const guarded = defineService({
  name: 'guarded',
  config: serviceConfig({}),
  http: (app) => {
    app.get('/reports', { config: { auth: { roles: ['auditor'] } } }, async (request) => ({
      subject: request.identity?.subject,
    }));
    app.get('/open', async () => ({ open: true }));
  },
});
let running: Awaited<ReturnType<typeof guarded.start>>;

before(async () => {
  mkdirSync(join(dir, 'config', 'test'), { recursive: true });
  writeFileSync(join(dir, 'config', 'test', 'guarded.yaml'), `auth:\n  identityHeader: { secret: ${SECRET} }\n`);
  running = await guarded.start({
    configDir: join(dir, 'config'),
    namespace: 'test',
    logDestination: captureLogs().stream,
    env: {
      FLOTILLA_HOME: join(dir, 'home'),
      FLOTILLA_GUARDED__HTTP__HOST: '127.0.0.1',
      FLOTILLA_GUARDED__HTTP__PORT: '0',
      FLOTILLA_GUARDED__DISCOVERY__REGISTER: 'false',
    },
  });
});

after(async () => {
  await running?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const headersFor = (roles: string[], requestId: string, secret = SECRET): Record<string, string> => ({
  'x-request-id': requestId,
  [IDENTITY_HEADER]: signIdentity({ subject: 'ada', roles, method: 'jwt', claims: {} }, secret, {
    method: 'GET',
    target: '/reports',
    requestId,
  }),
});

test('a route with config.auth accepts the gateway-signed identity and sees who calls', async () => {
  const answer = await fetch(`${running.httpUrl}/reports`, { headers: headersFor(['auditor'], 'req-1') });
  assert.equal(answer.status, 200);
  assert.deepEqual(await answer.json(), { subject: 'ada' });
});

test('no identity is 401, a wrong role 403, a header signed with another secret is not trusted', async () => {
  const none = await fetch(`${running.httpUrl}/reports`);
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
  assert.equal((await fetch(`${running.httpUrl}/reports`, { headers: headersFor(['viewer'], 'req-2') })).status, 403);
  assert.equal(
    (
      await fetch(`${running.httpUrl}/reports`, {
        headers: headersFor(['auditor'], 'req-3', 'another-secret-that-is-long-enough-000'),
      })
    ).status,
    401,
  );
  assert.equal((await fetch(`${running.httpUrl}/open`)).status, 200, 'routes without config.auth stay open');
});
