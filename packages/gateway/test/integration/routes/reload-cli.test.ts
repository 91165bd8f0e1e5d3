/**
 * Route hot reload end to end through the config centre: `flotilla config set`
 * (the real CLI, its own process) changes the gateway's routes, and the
 * running gateway serves the new route without a restart; a change whose
 * route names an undeclared upstream passes the CLI's schema check but is
 * rejected by the gateway, which keeps serving the previous routes. For the
 * file backend, and for etcd when the test harness provides it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { captureLogs, centreFlags, eventually, runCli, testBackends } from '@flotilla/testing';
import { gatewayService } from '../../../src/service.ts';
import { json, send, startUpstream, type Upstream } from '../support/http.ts';
import { ADMIN_HEADERS, TEST_ADMIN_YAML } from '../support/gateway.ts';

interface Status {
  appliedVersion: number | null;
  rejected: { version: number | null; reason: string } | null;
}

for (const backend of testBackends()) {
  describe(`gateway routes set with the CLI (${backend} backend)`, () => {
    const centre = centreFlags(backend);
    const doc = ['--ns', 'dev', '--service', 'gateway', ...centre.args];
    let blue: Upstream;
    let green: Upstream;
    let stop: () => Promise<void>;
    let url: string;

    const routes = (extra: string): string => `${TEST_ADMIN_YAML}upstreams:
  blue: { instances: ['${blue.url}'] }
  green: { instances: ['${green.url}'] }
routes:
  - { name: blue, path: /api/blue/**, upstream: blue, stripPrefix: /api/blue }
${extra}`;
    const status = async (): Promise<Status> => (await send(`${url}/admin/config`, { headers: ADMIN_HEADERS })).json<Status>();

    before(async () => {
      blue = await startUpstream((_req, res) => json(res, 200, { colour: 'blue' }));
      green = await startUpstream((_req, res) => json(res, 200, { colour: 'green' }));
      const seeded = await runCli(['config', 'set', ...doc, '-m', 'seed'], { input: routes('') });
      assert.equal(seeded.code, 0, seeded.stderr);
      const running = await gatewayService.start({
        namespace: 'dev',
        configDir: centre.env.FLOTILLA_CONFIG_DIR,
        logDestination: captureLogs().stream,
        env: { ...centre.env, FLOTILLA_GATEWAY__HTTP__HOST: '127.0.0.1', FLOTILLA_GATEWAY__HTTP__PORT: '0' },
      });
      url = running.httpUrl as string;
      stop = () => running.stop('test finished');
    });
    after(async () => {
      await stop?.();
      await Promise.all([blue?.close(), green?.close()]);
    });

    test('a route added with `flotilla config set` is served by the running gateway', async () => {
      assert.equal((await send(`${url}/api/blue/x`)).json<{ colour: string }>().colour, 'blue');
      assert.equal((await send(`${url}/api/green/x`)).status, 404);
      const set = await runCli(['config', 'set', ...doc, '-m', 'add green'], {
        input: routes('  - { name: green, path: /api/green/**, upstream: green, stripPrefix: /api/green }\n'),
      });
      assert.equal(set.code, 0, set.stderr);
      const answer = await eventually(
        async () => {
          const got = await send(`${url}/api/green/x`);
          return got.status === 200 ? got : undefined;
        },
        { message: 'the new green route' },
      );
      assert.equal(answer.json<{ colour: string }>().colour, 'green');
      assert.equal((await status()).appliedVersion, 2);
    });

    test('a route to an undeclared upstream is rejected by the gateway; the previous routes stay in force', async () => {
      const set = await runCli(['config', 'set', ...doc, '-m', 'typo'], {
        input: routes('  - { name: green, path: /api/green/**, upstream: gren }\n'),
      });
      assert.equal(set.code, 0, set.stderr); // the schema allows it; only the gateway knows its upstreams
      const rejected = await eventually(
        async () => {
          const now = await status();
          return now.rejected?.version === 3 ? now.rejected : undefined;
        },
        { message: 'the rejection' },
      );
      assert.match(rejected.reason, /routes\.1\.upstream = "gren": is not declared under "upstreams"/);
      assert.equal((await status()).appliedVersion, 2);
      assert.equal((await send(`${url}/api/green/x`)).json<{ colour: string }>().colour, 'green');
    });
  });
}
