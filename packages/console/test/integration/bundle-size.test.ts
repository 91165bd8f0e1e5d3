/**
 * The console's JavaScript stays within its budget (150 KB gzipped in
 * total), checked on the build in dist/static by check-size.mjs, the same
 * script a person runs after `node packages/console/build.mjs`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const checkSize = join(import.meta.dirname, '..', '..', 'check-size.mjs');

test('the built JavaScript is at most 150 KB gzipped', async (t) => {
  const { stdout } = await promisify(execFile)(process.execPath, [checkSize]).catch((error: { stdout?: string; stderr?: string }) => {
    assert.fail(`check-size.mjs failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  });
  t.diagnostic(stdout.trim().split('\n').at(-1) ?? '');
  assert.match(stdout, /total JavaScript: [\d.]+ KB gzipped, within the budget of 150 KB/);
});
