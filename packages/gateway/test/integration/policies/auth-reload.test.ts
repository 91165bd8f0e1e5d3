/**
 * The `auth` section reloaded in a running gateway process (file config
 * centre, the real `flotilla config set`): a rotated JWT secret applies to
 * the routed path and to the admin endpoints at once, a token verified (and
 * remembered) under the old secret is refused from then on, and the
 * gateway's Fastify routes and its proxy use the same authenticator.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { centreFlags, eventually, runCli } from '@flotilla/testing';
import { startChildGateway, type ChildGateway } from '../support/child-gateway.ts';
import { BASE_YAML } from '../support/gateway.ts';
import { echo, send, startUpstream, type Upstream } from '../support/http.ts';
import { authYaml, bearer, isProblem, JWT_SECRET, token } from '../support/policies.ts';

const NEXT_SECRET = 'policies-test-rotated-jwt-secret-0123456789abcdef';

describe('gateway auth reload', () => {
  const centre = centreFlags('file');
  let upstream: Upstream;
  let gateway: ChildGateway;

  const gatewayYaml = (jwtSecret: string): string => `proxy: { accessLog: false }
shedding: { enabled: false }
upstreams:
  orders: { instances: ['${upstream.url}'] }
${authYaml().replace(`secret: '${JWT_SECRET}'`, `secret: '${jwtSecret}'`)}routes:
  - { name: orders, path: /api/orders/**, upstream: orders, stripPrefix: /api, auth: { roles: [reader] } }
`;
  const orders = (jwt: string) => send(`${gateway.url}/api/orders/7`, { headers: bearer(jwt) });
  const admin = (jwt: string) => send(`${gateway.url}/admin/limits`, { headers: bearer(jwt) });

  before(async () => {
    upstream = await startUpstream(echo);
    gateway = await startChildGateway(gatewayYaml(JWT_SECRET), {
      namespace: 'dev',
      configDir: centre.env.FLOTILLA_CONFIG_DIR,
      home: centre.env.FLOTILLA_HOME,
    });
  });
  after(async () => {
    await gateway?.stop();
    await upstream?.close();
    rmSync(centre.dir, { recursive: true, force: true });
  });

  test('a rotated JWT secret applies to proxied and admin requests without a restart; tokens of the old secret are refused', async () => {
    const pid = gateway.pid;
    const oldReader = token({ roles: ['reader'] });
    const oldAdmin = token({ roles: ['admin'] });
    const newReader = token({ roles: ['reader'] }, NEXT_SECRET);
    const newAdmin = token({ roles: ['admin'] }, NEXT_SECRET);
    // Verified once, so both are remembered before the rotation.
    assert.equal((await orders(oldReader)).status, 200);
    assert.equal((await admin(oldAdmin)).status, 200);
    assert.equal((await orders(newReader)).status, 401);
    const forwarded = upstream.seen.at(-1);
    assert.ok(typeof forwarded?.headers['x-flotilla-identity'] === 'string', 'the upstream got a signed identity');

    const set = await runCli(['config', 'set', '--ns', 'dev', '--service', 'gateway', ...centre.args, '-m', 'rotate the JWT secret'], {
      input: BASE_YAML + gatewayYaml(NEXT_SECRET),
    });
    assert.equal(set.code, 0, set.stderr);
    await eventually(async () => (await orders(newReader)).status === 200, {
      timeoutMs: 20_000,
      message: 'the new secret on the routed path',
    });

    const refused = await orders(oldReader);
    assert.equal(refused.status, 401);
    assert.ok(isProblem(refused, 'unauthenticated'));
    assert.match(String(refused.headers['www-authenticate']), /invalid_token/);
    assert.equal((await admin(oldAdmin)).status, 401, 'the admin endpoints follow the same authenticator');
    assert.equal((await admin(newAdmin)).status, 200);
    assert.equal(gateway.pid, pid, 'no restart');
  });
});
