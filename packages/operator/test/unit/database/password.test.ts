import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { test } from 'node:test';
import { generatePassword, scramSha256Verifier } from '../../../src/database/password.ts';

test('generated passwords: 32 characters of [A-Za-z0-9], different each time', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const password = generatePassword();
    assert.match(password, /^[A-Za-z0-9]{32}$/);
    seen.add(password);
  }
  assert.equal(seen.size, 100);
});

test('the SCRAM-SHA-256 verifier answers the RFC 7677 exchange', () => {
  // RFC 7677, section 3: user "user", password "pencil".
  const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
  const verifier = scramSha256Verifier('pencil', salt, 4096);
  const match = /^SCRAM-SHA-256\$4096:([^$]+)\$([^:]+):(.+)$/.exec(verifier);
  assert.ok(match, verifier);
  assert.equal(match[1], 'W22ZaJ0SNY7soEsUEjb6gQ==');
  const storedKey = Buffer.from(match[2]!, 'base64');
  const serverKey = Buffer.from(match[3]!, 'base64');
  const nonce = 'rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
  const authMessage = `n=user,r=rOprNGfwEbeRWgbNEkqO,r=${nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=${nonce}`;
  // The server's signature from the RFC proves ServerKey.
  assert.equal(createHmac('sha256', serverKey).update(authMessage).digest('base64'), '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  // The client's proof from the RFC checks out against StoredKey, as a server checks it.
  const proof = Buffer.from('dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=', 'base64');
  const signature = createHmac('sha256', storedKey).update(authMessage).digest();
  const clientKey = Buffer.from(proof.map((byte, i) => byte ^ signature[i]!));
  assert.deepEqual(createHash('sha256').update(clientKey).digest(), storedKey);
});

test('each verifier gets its own salt', () => {
  assert.notEqual(scramSha256Verifier('same'), scramSha256Verifier('same'));
});
