/** `flotilla auth new-key|hash-key`: the printed hash is the one the kit's authenticator accepts for the key. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashApiKey } from '@flotilla/http';
import { runCli } from '@flotilla/testing';

test('auth new-key prints a key and the hash config stores; hash-key reproduces that hash from stdin', async () => {
  const created = await runCli(['auth', 'new-key', '--json']);
  assert.equal(created.code, 0, created.stderr);
  const { key, hash } = JSON.parse(created.stdout) as { key: string; hash: string };
  assert.equal(hash, hashApiKey(key));
  assert.match(hash, /^sha256:[0-9a-f]{64}$/);

  const hashed = await runCli(['auth', 'hash-key'], { input: key });
  assert.equal(hashed.code, 0, hashed.stderr);
  assert.equal(hashed.stdout.trim(), hash);
});

test('auth hash-key refuses an empty or too short key with a usage error', async () => {
  const empty = await runCli(['auth', 'hash-key'], { input: '' });
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /no key on stdin/);
  const short = await runCli(['auth', 'hash-key'], { input: 'short' });
  assert.equal(short.code, 1);
  assert.doesNotMatch(short.stdout, /sha256/);
});
