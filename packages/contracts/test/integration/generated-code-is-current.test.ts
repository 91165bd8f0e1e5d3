// The generated code is committed so that a fresh clone runs without a
// generation step; this test fails when proto/ (or the generator options)
// changed and `npm run gen -w @flotilla/contracts` was not run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'flotilla-contracts-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function filesUnder(root: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(root, path), readFileSync(path, 'utf8'));
  }
  return files;
}

test('committed src/gen matches a fresh generation from proto/', () => {
  execFileSync(process.execPath, [join(packageRoot, 'scripts/generate.mjs'), scratch], { stdio: 'pipe' });
  const fresh = filesUnder(join(scratch, 'src/gen'));
  const committed = filesUnder(join(packageRoot, 'src/gen'));

  assert.ok(fresh.size > 0, 'generation produced no files');
  assert.deepEqual(
    [...committed.keys()].sort(),
    [...fresh.keys()].sort(),
    'generated file list differs: run `npm run gen -w @flotilla/contracts`',
  );
  for (const [path, text] of fresh) {
    assert.equal(committed.get(path), text, `${path} is stale: run \`npm run gen -w @flotilla/contracts\``);
  }
});
