import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '@flotilla/config';
import { DatabaseConfig, serviceConfig } from '@flotilla/service';
import Type from 'typebox';

const Schema = serviceConfig({
  database: DatabaseConfig,
  feature: Type.Object(
    { enabled: Type.Boolean({ default: false }), apiToken: Type.Optional(Type.String()) },
    { additionalProperties: false, default: {} },
  ),
});

const made: string[] = [];
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function configDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-config-'));
  made.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  test('layers schema defaults < shared.yaml < service yaml < environment', () => {
    const dir = configDir({
      'dev/shared.yaml': 'log:\n  level: warn\nhttp:\n  port: 7000\n',
      'dev/svc.yaml': 'http:\n  port: 7001\ndatabase:\n  dsn: "sqlite::memory:"\n',
    });
    const { value, namespace, sources } = loadConfig({
      service: 'svc',
      schema: Schema,
      dir,
      env: { FLOTILLA_SVC__HTTP__PORT: '7002' },
    });
    assert.equal(namespace, 'dev');
    assert.equal(sources.length, 2);
    assert.equal(value.http.port, 7002, 'environment wins');
    assert.equal(value.log.level, 'warn', 'shared file applies');
    assert.equal(value.http.host, '0.0.0.0', 'schema default applies');
    assert.equal(value.database.pool.max, 10, 'nested default applies');
    assert.equal(value.feature.enabled, false);
  });

  test('environment variables map camelCase keys and convert types', () => {
    const dir = configDir({ 'dev/svc.yaml': 'database:\n  dsn: "sqlite::memory:"\n' });
    const { value } = loadConfig({
      service: 'svc',
      schema: Schema,
      dir,
      env: {
        FLOTILLA_SVC__DATABASE__POOL__IDLE_TIMEOUT_MS: '1234',
        FLOTILLA_SVC__FEATURE__ENABLED: 'true',
        FLOTILLA_OTHER__HTTP__PORT: '1',
      },
    });
    assert.equal(value.database.pool.idleTimeoutMs, 1234);
    assert.equal(value.feature.enabled, true);
    assert.equal(value.http.port, 8080, "another service's variables do not apply");
  });

  test('interpolates ${VAR} and ${VAR:-default}', () => {
    const dir = configDir({
      'dev/svc.yaml': 'database:\n  dsn: postgres://app:${DB_PASS}@${DB_HOST:-localhost}/app\n',
    });
    const { value } = loadConfig({ service: 'svc', schema: Schema, dir, env: { DB_PASS: 's3cret' } });
    assert.equal(value.database.dsn, 'postgres://app:s3cret@localhost/app');
  });

  test('an unset variable without a default is reported against its key', () => {
    const dir = configDir({ 'dev/svc.yaml': 'database:\n  dsn: ${MISSING_DSN}\n' });
    const error = errorOf(() => loadConfig({ service: 'svc', schema: Schema, dir, env: {} }));
    assert.equal(error.problems[0]?.key, 'database.dsn');
    assert.match(error.message, /MISSING_DSN is not set/);
  });

  test('the namespace comes from FLOTILLA_ENV and namespaces do not leak', () => {
    const dir = configDir({
      'dev/svc.yaml': 'http:\n  port: 1001\ndatabase:\n  dsn: sqlite:dev.db\n',
      'prod/svc.yaml': 'http:\n  port: 2002\ndatabase:\n  dsn: sqlite:prod.db\n',
    });
    assert.equal(loadConfig({ service: 'svc', schema: Schema, dir, env: { FLOTILLA_ENV: 'prod' } }).value.http.port, 2002);
    assert.equal(loadConfig({ service: 'svc', schema: Schema, dir, env: {} }).value.http.port, 1001);
    errorOf(() => loadConfig({ service: 'svc', schema: Schema, dir, env: { FLOTILLA_ENV: '../etc' } }));
  });

  test('reports every problem at once with key, masked value and rule', () => {
    const dir = configDir({
      'dev/svc.yaml': [
        'http:',
        '  port: 70000',
        '  prot: 1',
        'database:',
        '  dsn: postgres://app:hunter2@db/app',
        '  pool:',
        '    max: 0',
        'feature:',
        '  apiToken: { nested: hunter3 }',
      ].join('\n'),
    });
    const error = errorOf(() => loadConfig({ service: 'svc', schema: Schema, dir, env: { FLOTILLA_SVC__LOG__LEVEL: 'loud' } }));
    const keys = error.problems.map((p) => p.key).sort();
    assert.deepEqual(keys, ['database.pool.max', 'feature.apiToken', 'http.port', 'http.prot', 'log.level']);
    assert.match(error.message, /http\.prot = 1: is not a known field/);
    assert.match(error.message, /http\.port = 70000: /);
    assert.doesNotMatch(error.message, /hunter2|hunter3/, 'secrets are masked');
    assert.match(error.message, /feature\.apiToken = "\*\*\*": must be string/);
  });

  test('a YAML syntax error names the file', () => {
    const dir = configDir({ 'dev/svc.yaml': 'http: [unclosed\n' });
    const error = errorOf(() => loadConfig({ service: 'svc', schema: Schema, dir, env: {} }));
    assert.match(error.message, /svc\.yaml/);
  });
});
