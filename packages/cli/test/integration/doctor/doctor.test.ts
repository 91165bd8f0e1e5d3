/**
 * `flotilla doctor` as a process, in a small repository of its own (a root
 * package.json with engines, config/dev, the real node_modules linked): every
 * check passes on a healthy setup, and each kind of trouble is a ✗ line with
 * a fix and the documented exit code.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, repoRoot, runCli, sharedEtcd, tempDir, type CliResult, type TempDir } from '@flotilla/testing';

interface Report {
  ok: boolean;
  exitCode: number;
  checks: Array<{ id: string; ok: boolean; summary: string; fix?: string }>;
}

/** Only what the test sets: no backend, namespace or home of the machine running it leaks in. */
const CLEAN_ENV = {
  FLOTILLA_ENV: undefined,
  FLOTILLA_HOME: undefined,
  FLOTILLA_CONFIG_DIR: undefined,
  FLOTILLA_CONFIG_BACKEND: undefined,
  FLOTILLA_CONFIG_ETCD_ENDPOINTS: undefined,
  FLOTILLA_REGISTRY_BACKEND: undefined,
  FLOTILLA_REGISTRY_ETCD_ENDPOINTS: undefined,
};

/** A config JSON Schema as a service publishes it: unknown keys are refused. */
const ALPHA_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    http: { type: 'object', additionalProperties: false, properties: { host: { type: 'string' }, port: { type: 'integer' } } },
    grpc: { type: 'object', additionalProperties: false, properties: { host: { type: 'string' }, port: { type: 'integer' } } },
  },
};

describe('flotilla doctor', () => {
  let repo: TempDir;
  let httpPort: number;
  let grpcPort: number;

  const write = (path: string, text: string): void => {
    mkdirSync(join(repo.path, path, '..'), { recursive: true });
    writeFileSync(join(repo.path, path), text);
  };
  const setEngines = (range: string): void =>
    write(
      'package.json',
      JSON.stringify({ name: 'doctor-fixture', private: true, workspaces: ['packages/*', 'services/*'], engines: { node: range } }),
    );
  const doctor = (args: string[] = [], env: Record<string, string | undefined> = {}): Promise<CliResult> =>
    runCli(['doctor', '--timeout', '4000', ...args], { cwd: repo.path, env: { ...CLEAN_ENV, ...env } });
  const report = async (args: string[] = [], env: Record<string, string | undefined> = {}): Promise<Report> => {
    const result = await doctor(['--json', ...args], env);
    const parsed = JSON.parse(result.stdout) as Report;
    assert.equal(result.code, parsed.exitCode, result.stderr);
    return parsed;
  };
  const check = (r: Report, id: string): Report['checks'][number] => {
    const found = r.checks.find((c) => c.id === id);
    assert.ok(found, `no check ${id} in ${r.checks.map((c) => c.id).join(', ')}`);
    return found;
  };

  before(async () => {
    repo = tempDir('doctor');
    httpPort = await freePort();
    grpcPort = await freePort();
    setEngines(`>=${process.versions.node.split('.')[0]} <999`);
    symlinkSync(join(repoRoot, 'node_modules'), join(repo.path, 'node_modules'));
    write('config/dev/shared.yaml', 'grpc: { host: 127.0.0.1 }\n');
    write('config/dev/alpha.yaml', `http:\n  host: 127.0.0.1\n  port: ${httpPort}\ngrpc:\n  port: ${grpcPort}\n`);
    write('.flotilla/config-history/dev/alpha/schema.json', JSON.stringify(ALPHA_SCHEMA));
  });
  after(() => repo?.remove());

  test('a healthy setup: every line a ✓, exit 0', async () => {
    const result = await doctor();
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.ok(
      lines.filter((l) => l !== '' && l !== 'All checks passed.').every((l) => l.startsWith('✓ ')),
      result.stdout,
    );
    assert.match(result.stdout, new RegExp(`✓ port ${httpPort} \\(alpha http, 127\\.0\\.0\\.1\\) is free`));
    assert.match(result.stdout, /✓ dev\/alpha is valid against the alpha schema/);

    const json = await report();
    assert.equal(json.ok, true);
    assert.deepEqual(
      json.checks.map((c) => c.id).sort(),
      [
        'config-centre',
        'config:dev/alpha',
        'config:dev/shared',
        'discovery',
        'home',
        'native-addon:better-sqlite3',
        'node',
        `port:${grpcPort}`,
        `port:${httpPort}`,
      ].sort(),
    );
  });

  test('a taken port names the process holding it; exit 5', async (t) => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(httpPort, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const result = await doctor();
    assert.equal(result.code, 5);
    assert.match(
      result.stdout,
      new RegExp(`✗ port ${httpPort} \\(alpha http, 127\\.0\\.0\\.1\\) is taken by pid ${process.pid} \\([^)]*node`),
    );
    assert.match(
      result.stdout,
      new RegExp(
        `\\n    fix: stop pid ${process.pid} \\(kill ${process.pid}\\), or move alpha with http\\.port in config/dev/alpha\\.yaml`,
      ),
    );
    assert.equal(check(await report(), `port:${grpcPort}`).ok, true, 'the other port is still free');
  });

  test('a document the schema refuses, or that is not YAML: ✗ naming the key, exit 4', async (t) => {
    write('config/dev/alpha.yaml', `http:\n  host: 127.0.0.1\n  port: ${httpPort}\n  colour: blue\n`);
    write('config/dev/beta.yaml', 'http: [unclosed\n');
    t.after(() => {
      write('config/dev/alpha.yaml', `http:\n  host: 127.0.0.1\n  port: ${httpPort}\ngrpc:\n  port: ${grpcPort}\n`);
      rmSync(join(repo.path, 'config/dev/beta.yaml'));
    });
    const json = await report();
    assert.equal(json.exitCode, 4);
    const alpha = check(json, 'config:dev/alpha');
    assert.equal(alpha.ok, false);
    assert.match(alpha.summary, /http\.colour/);
    assert.equal(alpha.fix, 'flotilla config edit --ns dev --service alpha (or fix the file and check again)');
    assert.equal(check(json, 'config:dev/beta').ok, false);
  });

  test('a Node outside engines.node: ✗ with the way to the right one, exit 5', async (t) => {
    setEngines('>=999');
    t.after(() => setEngines(`>=${process.versions.node.split('.')[0]} <999`));
    const result = await doctor();
    assert.equal(result.code, 5);
    assert.match(result.stdout, new RegExp(`✗ Node ${process.version} \\(.*\\) does not satisfy engines.node ">=999"`));
    assert.match(result.stdout, /\n {4}fix: put the Node npm installed first: export PATH=".*node_modules\/\.bin:\$PATH"/);
  });

  test('a state folder that cannot be made: ✗ home, exit 5', async () => {
    write('not-a-folder', 'a file');
    const json = await report([], { FLOTILLA_HOME: join(repo.path, 'not-a-folder', 'home') });
    assert.equal(json.exitCode, 5);
    const home = check(json, 'home');
    assert.equal(home.ok, false);
    assert.match(home.summary, /not-a-folder is not a folder/);
    assert.match(home.fix ?? '', /FLOTILLA_HOME/);
  });

  test('config centre and discovery on an etcd nobody listens on: ✗ both, exit 5', async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const json = await report([], {
      FLOTILLA_CONFIG_BACKEND: 'etcd',
      FLOTILLA_CONFIG_ETCD_ENDPOINTS: nowhere,
      FLOTILLA_REGISTRY_BACKEND: 'etcd',
      FLOTILLA_REGISTRY_ETCD_ENDPOINTS: nowhere,
    });
    assert.equal(json.exitCode, 5);
    for (const id of ['config-centre', 'discovery']) {
      const failed = check(json, id);
      assert.equal(failed.ok, false, id);
      assert.ok(failed.summary.includes(nowhere), failed.summary);
      assert.match(failed.fix ?? '', /start etcd/);
    }
  });

  const etcd = sharedEtcd();
  test('config centre and discovery on a running etcd: ✓ both', { skip: 'skip' in etcd ? etcd.skip : false }, async () => {
    const endpoint = (etcd as { endpoint: string }).endpoint;
    const json = await report(['--etcd-prefix', `/doctor-${randomBytes(4).toString('hex')}`], {
      FLOTILLA_CONFIG_BACKEND: 'etcd',
      FLOTILLA_CONFIG_ETCD_ENDPOINTS: endpoint,
      FLOTILLA_REGISTRY_BACKEND: 'etcd',
      FLOTILLA_REGISTRY_ETCD_ENDPOINTS: endpoint,
    });
    assert.equal(check(json, 'config-centre').ok, true, JSON.stringify(json.checks));
    assert.equal(check(json, 'discovery').ok, true, JSON.stringify(json.checks));
  });
});
