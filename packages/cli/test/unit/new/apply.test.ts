/** Writing a scaffold as one change: a failed write puts back every file written before it. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '@flotilla/testing';
import { applyWrites } from '../../../src/new/apply.ts';

test('all files are written, new folders made', (t) => {
  const dir = tempDir('apply');
  t.after(() => dir.remove());
  writeFileSync(join(dir.path, 'list.txt'), 'a\n');
  applyWrites(
    dir.path,
    new Map([
      ['list.txt', 'a\nb\n'],
      ['services/x/src/main.ts', 'main'],
    ]),
  );
  assert.equal(readFileSync(join(dir.path, 'list.txt'), 'utf8'), 'a\nb\n');
  assert.equal(readFileSync(join(dir.path, 'services/x/src/main.ts'), 'utf8'), 'main');
});

test('a failed write restores changed files and removes new files and folders', (t) => {
  const dir = tempDir('apply');
  t.after(() => dir.remove());
  writeFileSync(join(dir.path, 'list.txt'), 'a\n');
  mkdirSync(join(dir.path, 'services'));
  writeFileSync(join(dir.path, 'blocker'), 'a file where a folder is needed');
  assert.throws(() =>
    applyWrites(
      dir.path,
      new Map([
        ['list.txt', 'a\nb\n'],
        ['services/x/src/main.ts', 'main'],
        ['blocker/inside.txt', 'cannot be written'],
      ]),
    ),
  );
  assert.equal(readFileSync(join(dir.path, 'list.txt'), 'utf8'), 'a\n');
  assert.ok(!existsSync(join(dir.path, 'services/x')), 'the folders made for the new file are gone');
  assert.ok(existsSync(join(dir.path, 'services')), 'a folder that was there stays');
});
