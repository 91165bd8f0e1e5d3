/** `flotilla config …` as a real process against every backend: output, --json, errors and exit codes. */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { centreFlags, runCli, scratchDir, testBackends } from '@flotilla/testing';

const EXIT = { usage: 1, notFound: 2, conflict: 3, invalid: 4, unavailable: 5 };

for (const backend of testBackends()) {
  describe(`flotilla config on the ${backend} backend`, () => {
    const centre = centreFlags(backend);
    const cli = (args: string[], options: { input?: string; env?: Record<string, string> } = {}) =>
      runCli([...args, ...centre.args], options);
    const doc = (service: string) => ['--ns', 'dev', '--service', service];
    before(() => centre.ready);
    after(() => centre.cleanup());

    test('set (stdin and file), get, history, diff, rollback', async () => {
      const first = await cli(['config', 'set', ...doc('users'), '-m', 'first', '--author', 'ada'], {
        input: 'log:\n  level: info\n',
      });
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stdout, 'dev/users: version 1\n');
      const file = join(centre.dir, 'users.yaml');
      writeFileSync(file, 'log:\n  level: debug\n');
      const second = await cli(['config', 'set', ...doc('users'), file, '-m', 'debug', '--expect-version', '1']);
      assert.equal(second.code, 0, second.stderr);

      const get = await cli(['config', 'get', ...doc('users')]);
      assert.equal(get.code, 0);
      assert.equal(get.stdout, 'log:\n  level: debug\n');
      assert.match(get.stderr, /version 2/);
      const old = await cli(['config', 'get', ...doc('users'), '--version', '1', '--json']);
      assert.deepEqual(
        (({ version, author, message, text }) => ({ version, author, message, text }))(JSON.parse(old.stdout) as Record<string, unknown>),
        {
          version: 1,
          author: 'ada',
          message: 'first',
          text: 'log:\n  level: info\n',
        },
      );

      const history = await cli(['config', 'history', ...doc('users')]);
      assert.equal(history.code, 0);
      assert.match(history.stdout, /^VERSION\s+TIME\s+AUTHOR\s+MESSAGE\n1\s+\S+\s+ada\s+first\n2\s+\S+\s+\S+@\S+\s+debug\n$/);

      const diff = await cli(['config', 'diff', ...doc('users')]);
      assert.equal(diff.code, 0);
      assert.equal(diff.stdout, '--- dev/users@1\n+++ dev/users@2\n@@ -1,2 +1,2 @@\n log:\n-  level: info\n+  level: debug\n');
      const diffJson = JSON.parse((await cli(['config', 'diff', ...doc('users'), '--from', '1', '--to', '2', '--json'])).stdout) as {
        changes: unknown[];
      };
      assert.deepEqual(diffJson.changes, [{ path: 'log.level', kind: 'changed', from: 'info', to: 'debug' }]);

      const rollback = await cli(['config', 'rollback', ...doc('users'), '--to', '1', '--json']);
      assert.equal(rollback.code, 0, rollback.stderr);
      assert.deepEqual((({ version, rollbackOf }) => ({ version, rollbackOf }))(JSON.parse(rollback.stdout) as Record<string, unknown>), {
        version: 3,
        rollbackOf: 1,
      });
      assert.equal((await cli(['config', 'get', ...doc('users')])).stdout, 'log:\n  level: info\n');
      const historyJson = JSON.parse((await cli(['config', 'history', ...doc('users'), '--json'])).stdout) as Array<{
        version: number;
      }>;
      assert.deepEqual(
        historyJson.map((h) => h.version),
        [1, 2, 3],
      );

      const ls = await cli(['config', 'ls', '--ns', 'dev', '--json']);
      assert.deepEqual(JSON.parse(ls.stdout), [{ service: 'users', version: 3 }]);
    });

    test('a stale --expect-version is refused with exit 3 and stores nothing', async () => {
      await cli(['config', 'set', ...doc('cas')], { input: 'a: 1\n' });
      await cli(['config', 'set', ...doc('cas')], { input: 'a: 2\n' });
      const stale = await cli(['config', 'set', ...doc('cas'), '--expect-version', '1', '--json'], { input: 'a: 3\n' });
      assert.equal(stale.code, EXIT.conflict);
      const error = JSON.parse(stale.stderr) as {
        error: { code: string; exitCode: number; details: Record<string, number> };
      };
      assert.deepEqual(error.error.code, 'conflict');
      assert.deepEqual(error.error.details, { expectedVersion: 1, actualVersion: 2 });
      assert.equal((await cli(['config', 'get', ...doc('cas')])).stdout, 'a: 2\n');
    });

    test('two CLI processes writing from the same version: one wins, the other exits 3', async () => {
      await cli(['config', 'set', ...doc('race')], { input: 'n: 0\n' });
      const results = await Promise.all(
        ['a', 'b', 'c'].map((n) => cli(['config', 'set', ...doc('race'), '--expect-version', '1'], { input: `n: ${n}\n` })),
      );
      assert.deepEqual(results.map((r) => r.code).sort(), [0, EXIT.conflict, EXIT.conflict]);
      const history = JSON.parse((await cli(['config', 'history', ...doc('race'), '--json'])).stdout) as unknown[];
      assert.equal(history.length, 2);
    });

    test('invalid YAML exits 4; a schema violation exits 4 unless --no-schema-check', async () => {
      const yaml = await cli(['config', 'set', ...doc('checked')], { input: 'log: [unclosed\n' });
      assert.equal(yaml.code, EXIT.invalid);
      assert.match(yaml.stderr, /^flotilla: Invalid configuration/);

      const schemaFile = join(centre.dir, 'schema.json');
      writeFileSync(
        schemaFile,
        JSON.stringify({
          type: 'object',
          properties: { log: { type: 'object', properties: { level: { enum: ['info', 'debug'] } } } },
        }),
      );
      const bad = await cli(['config', 'set', ...doc('checked'), '--schema', schemaFile, '--json'], {
        input: 'log:\n  level: loud\n',
      });
      assert.equal(bad.code, EXIT.invalid);
      assert.deepEqual(
        (JSON.parse(bad.stderr) as { error: { problems: Array<{ key: string }> } }).error.problems.map((p) => p.key),
        ['log.level'],
      );
      assert.equal((await cli(['config', 'history', ...doc('checked'), '--json'])).stdout.trim(), '[]');
      const good = await cli(['config', 'set', ...doc('checked'), '--schema', schemaFile], {
        input: 'log:\n  level: debug\n',
      });
      assert.equal(good.code, 0, good.stderr);
      assert.match(good.stderr, /valid against the checked schema/);
      const forced = await cli(['config', 'set', ...doc('checked'), '--no-schema-check', '--schema', schemaFile], {
        input: 'log:\n  level: loud\n',
      });
      assert.equal(forced.code, 0, forced.stderr);
    });

    test('the schema a service published is used without --schema; ${VAR} keys are left to the service', async () => {
      const schema = {
        type: 'object',
        properties: { port: { type: 'integer', '~kind': 'Integer' }, level: { enum: ['info'] } },
        additionalProperties: false,
        '~kind': 'Object',
      };
      if (backend === 'file') {
        const dir = join(centre.env.FLOTILLA_HOME!, 'config-history', 'dev', 'published');
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'schema.json'), JSON.stringify(schema));
      } else if (backend === 'etcd') {
        const { createEtcdConfigStore } = await import('@flotilla/config');
        const store = await createEtcdConfigStore({
          endpoints: [centre.env.FLOTILLA_CONFIG_ETCD_ENDPOINTS!],
          prefix: centre.env.FLOTILLA_CONFIG_ETCD_PREFIX!,
        });
        await store.publishSchema('dev', 'published', schema);
        await store.close();
      } else {
        const { createKubernetesConfigStore } = await import('@flotilla/config');
        const store = createKubernetesConfigStore({
          kubeconfig: centre.env.FLOTILLA_CONFIG_KUBECONFIG!,
          namespace: centre.env.FLOTILLA_CONFIG_KUBE_NAMESPACE!,
        });
        await store.publishSchema('dev', 'published', schema);
        await store.close();
      }
      const printed = await cli(['config', 'schema', ...doc('published')]);
      assert.deepEqual(JSON.parse(printed.stdout), schema);
      assert.equal((await cli(['config', 'set', ...doc('published')], { input: 'port: 80\nlevel: loud\n' })).code, EXIT.invalid);
      assert.equal((await cli(['config', 'set', ...doc('published')], { input: 'port: 80\ntypo: 1\n' })).code, EXIT.invalid);
      const deferred = await cli(['config', 'set', ...doc('published')], { input: 'port: ${PORT}\nlevel: info\n' });
      assert.equal(deferred.code, 0, deferred.stderr);
    });

    test('secrets: ${VAR} is stored and printed as written, never resolved', async () => {
      const env = { CLI_TEST_SECRET: 'hunter2-very-secret' };
      const text = 'database:\n  dsn: postgres://app:${CLI_TEST_SECRET}@db/app\napi:\n  token: ${CLI_TEST_SECRET}\n';
      assert.equal((await cli(['config', 'set', ...doc('secret')], { input: text, env })).code, 0);
      await cli(['config', 'set', ...doc('secret')], { input: `${text}log:\n  level: debug\n`, env });
      const outputs = await Promise.all([
        cli(['config', 'get', ...doc('secret')], { env }),
        cli(['config', 'get', ...doc('secret'), '--json'], { env }),
        cli(['config', 'diff', ...doc('secret'), '--from', '0', '--to', '2'], { env }),
        cli(['config', 'diff', ...doc('secret'), '--json', '--from', '0', '--to', '2'], { env }),
        cli(['config', 'history', ...doc('secret'), '--json'], { env }),
      ]);
      for (const output of outputs) {
        assert.equal(output.code, 0, output.stderr);
        assert.ok(!`${output.stdout}${output.stderr}`.includes('hunter2'), `resolved secret in: ${output.stdout}`);
      }
      assert.match(outputs[0]!.stdout, /token: \$\{CLI_TEST_SECRET\}/);
      if (backend === 'file')
        assert.ok(!readFileSync(join(centre.env.FLOTILLA_CONFIG_DIR!, 'dev', 'secret.yaml'), 'utf8').includes('hunter2'));
    });

    test('edit opens $EDITOR and stores the result with compare-and-set', async () => {
      await cli(['config', 'set', ...doc('edited')], { input: 'log:\n  level: info\n' });
      const editor = join(centre.dir, 'editor.sh');
      writeFileSync(editor, '#!/bin/sh\nsed -i "s/info/debug/" "$1"\n');
      chmodSync(editor, 0o755);
      const edited = await cli(['config', 'edit', ...doc('edited'), '-m', 'via editor'], {
        env: { EDITOR: editor, VISUAL: '' },
      });
      assert.equal(edited.code, 0, edited.stderr);
      assert.equal(edited.stdout, 'dev/edited: version 2\n');
      assert.equal((await cli(['config', 'get', ...doc('edited')])).stdout, 'log:\n  level: debug\n');
      const unchanged = await cli(['config', 'edit', ...doc('edited')], { env: { EDITOR: 'true', VISUAL: '' } });
      assert.equal(unchanged.code, 0);
      assert.match(unchanged.stderr, /no changes/);
      const broken = join(centre.dir, 'broken.sh');
      writeFileSync(broken, '#!/bin/sh\nprintf "log: [\\n" > "$1"\n');
      chmodSync(broken, 0o755);
      const invalid = await cli(['config', 'edit', ...doc('edited')], { env: { EDITOR: broken, VISUAL: '' } });
      assert.equal(invalid.code, EXIT.invalid);
      const kept = /your edit is kept in (\S+?);/.exec(invalid.stderr)?.[1];
      assert.ok(kept, invalid.stderr);
      assert.equal(readFileSync(kept, 'utf8'), 'log: [\n', 'the file holds the failed edit');
      rmSync(dirname(kept), { recursive: true, force: true });
    });

    test('usage errors exit 1, unknown documents and versions exit 2', async () => {
      const missing = await cli(['config', 'get', '--ns', 'dev']);
      assert.equal(missing.code, EXIT.usage);
      assert.match(missing.stderr, /--service/);
      assert.equal((await cli(['config', 'get', ...doc('nothing-here')])).code, EXIT.notFound);
      await cli(['config', 'set', ...doc('versions')], { input: 'a: 1\n' });
      const noVersion = await cli(['config', 'get', ...doc('versions'), '--version', '7', '--json']);
      assert.equal(noVersion.code, EXIT.notFound);
      assert.equal((JSON.parse(noVersion.stderr) as { error: { code: string } }).error.code, 'not-found');
      assert.equal((await cli(['config', 'get', ...doc('versions'), '--version', 'seven'])).code, EXIT.usage);
      assert.equal((await cli(['config', 'get', '--ns', 'Bad/NS', '--service', 'x'])).code, EXIT.usage);
    });
  });
}

test('an unreachable etcd exits 5 with a clear message', async () => {
  const result = await runCli(['config', 'get', '--ns', 'dev', '--service', 'users', '--backend', 'etcd', '--etcd', 'http://127.0.0.1:9']);
  assert.equal(result.code, EXIT.unavailable);
  assert.match(result.stderr, /etcd at http:\/\/127\.0\.0\.1:9 is unavailable/);
});

test('an unreachable Kubernetes API exits 5 with a clear message', async () => {
  const kubeconfig = join(scratchDir('cli-kube'), 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'current-context: nowhere',
      'clusters: [{ name: nowhere, cluster: { server: "https://127.0.0.1:9", insecure-skip-tls-verify: true } }]',
      'users: [{ name: nobody, user: { token: not-a-token } }]',
      'contexts: [{ name: nowhere, context: { cluster: nowhere, user: nobody } }]',
    ].join('\n'),
  );
  const result = await runCli([
    'config',
    'get',
    '--ns',
    'dev',
    '--service',
    'users',
    '--backend',
    'kubernetes',
    '--kubeconfig',
    kubeconfig,
  ]);
  assert.equal(result.code, EXIT.unavailable, result.stderr);
  assert.match(result.stderr, /the Kubernetes API at https:\/\/127\.0\.0\.1:9 is unavailable/);
});

test('--help documents every command and the exit codes', async () => {
  const help = await runCli(['config', '--help']);
  assert.equal(help.code, 0);
  for (const command of ['get', 'set', 'edit', 'history', 'diff', 'rollback', 'status'])
    assert.match(help.stdout, new RegExp(`\\n  ${command}\\b`));
  assert.match(help.stdout, /Exit codes: 0 ok, 1 usage, 2 not found, 3 conflict/);
  const setHelp = await runCli(['config', 'set', '--help']);
  assert.match(setHelp.stdout, /--expect-version <n>/);
  assert.match((await runCli(['--help'])).stdout, /registry/);
});
