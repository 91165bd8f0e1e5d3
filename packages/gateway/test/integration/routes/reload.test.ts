/**
 * Route hot reload through the config centre (file backend: the gateway's
 * working copy is edited like a deploy tool would): a valid change swaps the
 * table; an invalid one (schema, cross-reference or YAML) is rejected before
 * anything applies, logged, shown at /admin/config, and the last good table stays.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { eventually } from '@flotilla/testing';
import { ADMIN_HEADERS, startGateway, TEST_ADMIN_YAML, type GatewayUnderTest } from '../support/gateway.ts';
import { json, send, startUpstream, type Upstream } from '../support/http.ts';

describe('gateway route hot reload', () => {
  let gateway: GatewayUnderTest;
  let blue: Upstream;
  let green: Upstream;
  const held: ServerResponse[] = [];

  const config = (target: string, extra = ''): string => `
upstreams:
  blue: { instances: ['${blue.url}'] }
  green: { instances: ['${green.url}'] }
${TEST_ADMIN_YAML}routes:
  - { path: /api/colour/**, upstream: ${target}, stripPrefix: /api }
${extra}`;

  const colour = async (): Promise<string> => (await send(`${gateway.url}/api/colour/now`)).json<{ colour: string }>().colour;
  const rejections = (): Array<Record<string, unknown>> => gateway.logs.withAction('config-rejected');
  const reasonOf = (line: Record<string, unknown>): string => (line.event as { reason: string }).reason;
  const status = async (): Promise<{ rejections: number; rejected: { reason: string } | null }> =>
    send(`${gateway.url}/admin/config`, { headers: ADMIN_HEADERS }).then((a) => a.json());

  before(async () => {
    blue = await startUpstream((req, res) => {
      if (req.url === '/held/long') {
        held.push(res);
        return;
      }
      json(res, 200, { colour: 'blue' });
    });
    green = await startUpstream((_req, res) => json(res, 200, { colour: 'green' }));
    gateway = await startGateway(config('blue', '  - { path: /api/held/**, upstream: blue, stripPrefix: /api }'));
  });

  after(async () => {
    for (const res of held) res.end();
    await gateway.stop();
    await Promise.all([blue.close(), green.close()]);
  });

  test('a changed file (written by rename) is picked up without a restart', async () => {
    assert.equal(await colour(), 'blue');
    gateway.writeConfig(config('green', '  - { path: /api/held/**, upstream: blue, stripPrefix: /api }'));
    await eventually(async () => (await colour()) === 'green', { message: 'the green route' });
    const reloaded = gateway.logs.withAction('routes-reloaded')[0];
    assert.ok(reloaded !== undefined, 'the reload is logged');
  });

  test('a file with a schema error is rejected with every problem logged; the last good table stays', async () => {
    const before = rejections().length;
    gateway.writeConfig(`
upstreams:
  blue: { instances: ['not a url'] }
routes:
  - { path: /api/colour/**, upstream: blue, timeoutMs: -5, colour: red }
`);
    const line = await eventually(async () => rejections()[before], { message: 'the rejection log line' });
    for (const key of ['routes.0.colour', 'routes.0.timeoutMs', 'upstreams.blue.instances.0'])
      assert.match(reasonOf(line), new RegExp(`- ${key.replaceAll('.', '\\.')} =`));
    assert.equal(line['log.level'], 'error');
    assert.equal(await colour(), 'green', 'still served by the last good table');
    const shown = await status();
    assert.equal(shown.rejections, before + 1);
    assert.match(shown.rejected?.reason ?? '', /routes\.0\.timeoutMs/);
  });

  test('a file whose routes name an unknown upstream or a placeholder the path lacks is rejected too', async () => {
    const before = rejections().length;
    gateway.writeConfig(`
upstreams:
  blue: { instances: ['${blue.url}'] }
routes:
  - { path: /api/colour/**, upstream: purple, stripPrefix: /api }
  - { path: /api/x/:id, upstream: blue, rewrite: '/x/{name}' }
`);
    const line = await eventually(async () => rejections()[before], { message: 'the rejection log line' });
    assert.match(reasonOf(line), /- routes\.0\.upstream = "purple": is not declared under "upstreams"/);
    assert.match(reasonOf(line), /- routes\.1\.rewrite = /);
    assert.equal(await colour(), 'green');
  });

  test('a file that is not valid YAML is rejected; the last good table stays', async () => {
    const before = rejections().length;
    gateway.writeConfig('routes: [ { path: /api/colour/**, upstream: blue\n');
    await eventually(async () => rejections()[before], { message: 'the rejection log line' });
    assert.equal(await colour(), 'green');
  });

  test('a request in flight keeps the table it started with while a reload removes its route', async () => {
    // The table still has /api/held (every rejected file left it alone).
    const inFlight = send(`${gateway.url}/api/held/long`);
    await eventually(async () => held.length > 0, { message: 'the held request to reach the upstream' });
    gateway.writeConfig(config('blue'));
    await eventually(async () => (await send(`${gateway.url}/api/held/other`)).status === 404, { message: 'the held route to disappear' });
    json(held.shift() as ServerResponse, 200, { finished: true });
    const answer = await inFlight;
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json(), { finished: true });
    assert.equal(await colour(), 'blue');
  });
});
