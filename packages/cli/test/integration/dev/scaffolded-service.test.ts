/**
 * `flotilla dev` runs what `flotilla new service` made, with nothing else to
 * register: in a copy of this repository, a scaffolded service is started
 * beside the others, listed in the banner, refused on a busy port like them,
 * and reached through the gateway on its route; a malformed `flotilla.dev`
 * block in its package.json is a usage error that starts nothing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually, runCli, tempDir, canListen, devEnv, distinctFreePorts, LISTENERS, startDev } from '@flotilla/testing';
import { copyRepository, type RepositoryCopy } from '../new/support/repository-copy.ts';

const SERVICE = 'pricing';
const RUN_DEV = ['--conditions=@flotilla/source', 'packages/cli/src/main.ts', 'dev'];

describe('flotilla dev with a scaffolded service', { timeout: 240_000 }, () => {
  let copy: RepositoryCopy;
  let ports: Record<string, number>;
  before(async () => {
    copy = copyRepository();
    const created = await runCli(['new', 'service', SERVICE, '--no-database', '--no-grpc', '--gateway-route'], { cwd: copy.root });
    assert.equal(created.code, 0, created.stderr);
    copy.linkWorkspace(`services/${SERVICE}`);
    ports = await distinctFreePorts([...LISTENERS, `${SERVICE}.http`]);
  });
  after(() => copy?.remove());

  test('started with the others, in the banner, and served through the gateway', async (t) => {
    const run = await startDev({ root: copy.root, ports });
    t.after(() => run.cleanup());
    await run.printed(/Ctrl-C stops everything\./);

    const url = `http://127.0.0.1:${ports[`${SERVICE}.http`]}`;
    assert.match(run.output(), new RegExp(`^ {2}${SERVICE} +${url} +\\(docs ${url}/docs, health ${url}/readyz\\)$`, 'm'));
    const names = [...run.output().matchAll(/^ {2}([a-z-]+) +http:\/\/\S+ +\(docs /gm)].map((m) => m[1]);
    assert.deepEqual(names, ['greeter', 'orders', SERVICE, 'users', 'gateway'], 'services by name, the gateway last');
    assert.equal((await fetch(`${url}/${SERVICE}/hello/Ada`)).status, 200);

    // The route --gateway-route added; the gateway finds the instance in the run's registry.
    const gateway = `http://127.0.0.1:${ports['gateway.http']}`;
    const greeting = await eventually(
      async () => {
        const response = await fetch(`${gateway}/api/${SERVICE}/hello/Ada`);
        return response.status === 200 ? await response.json() : undefined;
      },
      { timeoutMs: 20_000, message: `GET /api/${SERVICE}/hello/Ada through the gateway` },
    );
    assert.deepEqual(greeting, { message: 'Hello, Ada!' });

    process.kill(run.supervisorPid(), 'SIGINT');
    await eventually(() => run.pids().length === 0, { timeoutMs: 30_000, intervalMs: 100, message: 'the run to end after Ctrl-C' });
    assert.equal(await run.exited, 0);
  });

  test('its busy port is refused before anything starts, naming its variable', async (t) => {
    const held = ports[`${SERVICE}.http`] as number;
    const holder = spawn(
      process.execPath,
      ['-e', `require('node:net').createServer().listen(${held}, '127.0.0.1', () => console.log('holding'))`, 'port-holder'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    t.after(() => holder.kill('SIGKILL'));
    await once(holder.stdout, 'data');
    const home = tempDir('dev-busy');
    t.after(() => home.remove());

    const result = await copy.run(process.execPath, RUN_DEV, devEnv(home.path, ports));

    assert.equal(result.code, 5, result.output);
    assert.match(result.stderr, new RegExp(`port ${held} \\(${SERVICE} http on 127\\.0\\.0\\.1\\) is in use by pid ${holder.pid}: `));
    assert.match(result.stderr, /FLOTILLA_PRICING__HTTP__PORT=<port>/);
    for (const [listener, port] of Object.entries(ports)) {
      if (port !== held) assert.equal(await canListen(port), true, `${listener} (${port}) untouched`);
    }
  });

  test('a malformed flotilla.dev block: exit 1 naming the file and the problem, nothing started', async (t) => {
    const path = join(copy.root, 'services', SERVICE, 'package.json');
    const original = readFileSync(path, 'utf8');
    t.after(() => writeFileSync(path, original));
    const manifest = JSON.parse(original) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...manifest, flotilla: { dev: { grpc: 'yes' } } }, null, 2));
    const home = tempDir('dev-malformed');
    t.after(() => home.remove());

    const result = await copy.run(process.execPath, RUN_DEV, devEnv(home.path, ports));

    assert.equal(result.code, 1, result.output);
    assert.match(result.stderr, /^flotilla: cannot start, a service manifest has a malformed "flotilla" block:$/m);
    assert.match(result.stderr, /^ {2}services\/pricing\/package\.json: "flotilla\.dev\.grpc" must be true or false, not "yes"$/m);
    assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/, 'a message, not a stack');
    for (const [listener, port] of Object.entries(ports)) assert.equal(await canListen(port), true, `${listener} (${port}) untouched`);
  });
});
