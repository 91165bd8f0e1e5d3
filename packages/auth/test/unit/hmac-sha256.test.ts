import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { HmacSha256 } from '../../src/hmac-sha256.ts';

const keys = [
  '',
  'k',
  'identity-secret-shared-by-gateway-and-services',
  'x'.repeat(64),
  'y'.repeat(65),
  'z'.repeat(200),
  'clé-à-accents-🔑',
];
const messages = ['', 'v1.abc', 'é', '🚀'.repeat(10), 'm'.repeat(63), 'm'.repeat(64), 'n'.repeat(5_000), 'short again'];

test('HmacSha256 gives what createHmac gives, for every key length and message, reusing its buffer', () => {
  for (const key of keys) {
    const mac = new HmacSha256(key);
    // Long then short messages: what a longer message left in the buffer must not leak into the next MAC.
    for (const message of messages) {
      assert.equal(
        mac.digestBase64url(message),
        createHmac('sha256', key).update(message, 'utf8').digest('base64url'),
        `key ${key.length} chars, message ${message.length} chars`,
      );
      assert.deepEqual(mac.digest(message), createHmac('sha256', key).update(message, 'utf8').digest());
    }
  }
});

test('HmacSha256 takes the key as bytes too', () => {
  const key = Buffer.from([0, 1, 2, 255, 254, 0x36, 0x5c]);
  assert.equal(new HmacSha256(key).digestBase64url('bytes'), createHmac('sha256', key).update('bytes').digest('base64url'));
});
