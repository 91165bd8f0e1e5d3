/** The migrate command applies pending migrations once and is then a no-op. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { configDir, createTestDatabase, testDialects } from '@flotilla/testing';

const run = promisify(execFile);
const entry = join(import.meta.dirname, '..', '..', 'src', 'migrate.ts');

for (const dialect of testDialects()) {
  test(`migrate command on ${dialect}`, async () => {
    const database = await createTestDatabase(dialect);
    try {
      const env = {
        ...process.env,
        FLOTILLA_CONFIG_DIR: configDir,
        FLOTILLA_ENV: 'dev',
        FLOTILLA_USERS__DATABASE__DSN: database.dsn,
      };
      const first = await run(process.execPath, ['--conditions=@flotilla/source', entry], { env });
      assert.match(first.stdout, /users: applied .*0001_create_users/);
      const second = await run(process.execPath, ['--conditions=@flotilla/source', entry], { env });
      assert.equal(second.stdout.trim(), 'users: database schema up to date');
    } finally {
      await database.drop();
    }
  });
}
