/**
 * Hot reload end to end: `flotilla config set` against a running service
 * process, for the file, etcd and kubernetes backends. The service applies log.level live
 * (observed through its own logger), rejects an invalid change while the old
 * config stays in force, and shows both in its status and its log.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { centreFlags, eventually, repoRoot, runCli, type ServiceProcess, startServiceProcess, testBackends } from '@flotilla/testing';

interface Status {
  appliedVersion: number | null;
  rejections: number;
  rejected: { version: number | null; reason: string } | null;
  pendingRestart: string[];
}

const fixture = join(import.meta.dirname, 'fixtures', 'level-service.ts');

for (const backend of testBackends()) {
  describe(`hot reload through the ${backend} backend`, () => {
    const centre = centreFlags(backend);
    const doc = ['--ns', 'dev', '--service', 'levels'];
    let service: ServiceProcess;
    const level = async (): Promise<string> => ((await (await fetch(`${service.url}/level`)).json()) as { level: string }).level;
    const status = async (): Promise<Status> => (await (await fetch(`${service.url}/admin/config`)).json()) as Status;

    before(async () => {
      await centre.ready;
      const seeded = await runCli(['config', 'set', ...doc, ...centre.args, '-m', 'seed'], {
        input: 'log:\n  level: info\n',
      });
      assert.equal(seeded.code, 0, seeded.stderr);
      service = await startServiceProcess(fixture, 'levels', {
        cwd: repoRoot,
        env: {
          ...process.env,
          FLOTILLA_ENV: 'dev',
          ...centre.env,
          FLOTILLA_LEVELS__HTTP__HOST: '127.0.0.1',
          FLOTILLA_LEVELS__HTTP__PORT: '0',
        },
      });
    });
    after(async () => {
      assert.equal(await service.stop(), 0);
      await centre.cleanup();
    });

    test('a CLI set of log.level is applied live by the running service', async (t) => {
      assert.equal(await level(), 'info');
      assert.equal((await status()).appliedVersion, 1);
      // The service published its schema at start, so the CLI validates against it.
      const set = await runCli(['config', 'set', ...doc, ...centre.args, '-m', 'debug please'], {
        input: 'log:\n  level: debug\n',
      });
      assert.equal(set.code, 0, set.stderr);
      assert.match(set.stderr, /valid against the levels schema/);
      // Timed from the moment the CLI has stored the version; reported, not asserted (the machine may be busy).
      const stored = Date.now();
      await eventually(async () => (await level()) === 'debug', { timeoutMs: 5_000, message: 'log.level debug' });
      t.diagnostic(`${backend}: applied ${Date.now() - stored} ms after the CLI stored it`);
      assert.equal((await status()).appliedVersion, 2);
      // The log line reaches us through the process's stdout, on its own schedule: waited for, not assumed there yet.
      await eventually(() => /"action":"config-applied".*config change dev\/levels@2 applied: log\.level/.test(service.stdout()), {
        timeoutMs: 5_000,
        message: 'the config-applied line',
      });
    });

    test('an invalid change is refused by the CLI (exit 4), and one forced past it is rejected by the service', async () => {
      const refused = await runCli(['config', 'set', ...doc, ...centre.args], { input: 'log:\n  level: loud\n' });
      assert.equal(refused.code, 4);
      assert.match(refused.stderr, /log\.level = "loud"/);

      const forced = await runCli(['config', 'set', ...doc, ...centre.args, '--no-schema-check', '-m', 'bad'], {
        input: 'log:\n  level: loud\n',
      });
      assert.equal(forced.code, 0, forced.stderr);
      const rejected = await eventually(
        async () => {
          const s = await status();
          return s.rejected === null ? undefined : s;
        },
        { timeoutMs: 5_000, message: 'the rejection' },
      );
      assert.equal(rejected.rejected?.version, 3);
      assert.match(rejected.rejected?.reason ?? '', /log\.level = "loud"/);
      assert.equal(rejected.appliedVersion, 2);
      assert.equal(await level(), 'debug', 'the previous config stays in force');
      await eventually(() => /"log\.level":"error".*"action":"config-rejected"/.test(service.stdout()), {
        timeoutMs: 5_000,
        message: 'the config-rejected line',
      });

      const shown = await runCli(['config', 'status', '--url', service.url]);
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /rejected\s+levels@3/);
      assert.match(shown.stdout, /log\.level = "loud"/);
    });

    test('a rollback applies live; a restart-only key is reported pending, not applied', async () => {
      const rollback = await runCli(['config', 'rollback', ...doc, ...centre.args, '--to', '1']);
      assert.equal(rollback.code, 0, rollback.stderr);
      await eventually(async () => (await level()) === 'info', { timeoutMs: 5_000, message: 'log.level info after rollback' });
      const s = await status();
      assert.equal(s.appliedVersion, 4);
      assert.equal(s.rejected, null);

      const port = await runCli(['config', 'set', ...doc, ...centre.args, '--json'], {
        input: 'log:\n  level: info\nhttp:\n  requestTimeoutMs: 1234\n',
      });
      assert.equal(port.code, 0, port.stderr);
      const pending = await eventually(
        async () => {
          const now = await status();
          return now.appliedVersion === 5 ? now : undefined;
        },
        { timeoutMs: 5_000, message: 'version 5' },
      );
      assert.deepEqual(pending.pendingRestart, ['http.requestTimeoutMs']);
      const json = await runCli(['config', 'status', '--url', service.url, '--json']);
      assert.deepEqual((JSON.parse(json.stdout) as Status).pendingRestart, ['http.requestTimeoutMs']);
    });
  });
}

describe('the greeter service reloads from the file centre', () => {
  const centre = centreFlags('file');
  let greeter: ServiceProcess;
  before(async () => {
    await runCli(['config', 'set', '--ns', 'dev', '--service', 'greeter', ...centre.args], {
      input: 'log:\n  level: info\n',
    });
    greeter = await startServiceProcess(join(repoRoot, 'services', 'greeter', 'src', 'main.ts'), 'greeter', {
      cwd: repoRoot,
      env: {
        ...process.env,
        FLOTILLA_ENV: 'dev',
        ...centre.env,
        FLOTILLA_GREETER__HTTP__HOST: '127.0.0.1',
        FLOTILLA_GREETER__HTTP__PORT: '0',
        FLOTILLA_GREETER__GRPC__HOST: '127.0.0.1',
        FLOTILLA_GREETER__GRPC__PORT: '0',
      },
    });
  });
  after(async () => {
    assert.equal(await greeter.stop(), 0);
  });

  test('log.level changes live and the status says which version is in force', async () => {
    const set = await runCli(['config', 'set', '--ns', 'dev', '--service', 'greeter', ...centre.args], {
      input: 'log:\n  level: warn\n',
    });
    assert.equal(set.code, 0, set.stderr);
    await eventually(
      async () => {
        const s = (await (await fetch(`${greeter.url}/admin/config`)).json()) as Status;
        return s.appliedVersion === 2 ? true : undefined;
      },
      { timeoutMs: 5_000, message: 'greeter at version 2' },
    );
    await eventually(() => /config change dev\/greeter@2 applied: log\.level/.test(greeter.stdout()), {
      timeoutMs: 5_000,
      message: 'the config-applied line',
    });
    // At warn, the info access line of this request is no longer written.
    const before = greeter.stdout().length;
    assert.equal((await fetch(`${greeter.url}/hello/ada`)).status, 200);
    // A later line the greeter does write at warn (an error: an edit of its working copy it refuses) marks where
    // that access line would be: once it is here, so would anything logged before it.
    writeFileSync(join(centre.env.FLOTILLA_CONFIG_DIR!, 'dev', 'greeter.yaml'), 'log:\n  level: loud\n');
    await eventually(() => /"action":"config-rejected"/.test(greeter.stdout().slice(before)), {
      timeoutMs: 5_000,
      message: 'the rejection line',
    });
    assert.doesNotMatch(greeter.stdout().slice(before), /\/hello\/ada/);
  });
});
