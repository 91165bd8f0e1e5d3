import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openSqlite, sqliteAddonMismatch } from '@flotilla/data';

const SYSTEM_NODE = '/usr/bin/node';
const COMPILED_SQLITE = join(import.meta.dirname, '../../dist/sqlite.js');

function systemNodeApi(): number | undefined {
  if (!existsSync(SYSTEM_NODE)) return undefined;
  const out = spawnSync(SYSTEM_NODE, ['-p', 'process.versions.napi'], { encoding: 'utf8' });
  return out.status === 0 ? Number(out.stdout.trim()) : undefined;
}

describe('the SQLite native addon and the Node that loads it', () => {
  test('the pinned Node opens a database', () => {
    assert.equal(sqliteAddonMismatch(process.versions), undefined);
    const db = openSqlite({ filename: ':memory:', busyTimeoutMs: 100 });
    assert.deepEqual(db.prepare('select 41 + 1 as answer').get(), { answer: 42 });
    db.close();
  });

  test('a Node whose Node-API is too old is told which Node runs and what to do', () => {
    const message = sqliteAddonMismatch({ node: '20.20.2', napi: '9' });
    assert.match(message ?? '', /Node-API 10/);
    assert.match(message ?? '', /v20\.20\.2 with Node-API 9/);
    assert.match(message ?? '', /npm start/);
  });

  const oldNapi = systemNodeApi();
  test('opening SQLite under an older system Node fails with that message, not a crash', {
    skip: oldNapi === undefined || oldNapi >= 10 ? `no system Node with Node-API < 10 at ${SYSTEM_NODE}` : false,
  }, () => {
    const script = `import(${JSON.stringify(COMPILED_SQLITE)}).then((m) => m.openSqlite({ filename: ':memory:', busyTimeoutMs: 100 })).catch((e) => { console.error(e.message); process.exit(3); });`;
    const run = spawnSync(SYSTEM_NODE, ['-e', script], { encoding: 'utf8' });
    assert.equal(run.signal, null, `crashed with ${run.signal}`);
    assert.equal(run.status, 3, run.stderr);
    assert.match(run.stderr, /needs Node-API 10/);
  });
});
