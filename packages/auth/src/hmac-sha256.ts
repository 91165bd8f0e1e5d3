/**
 * HMAC-SHA256 (RFC 2104) for a key used on every request: the key's inner
 * and outer pads are prepared once, and each MAC is two one-shot
 * `crypto.hash()` calls over a reused buffer. `createHmac()` builds a
 * native object per call that the garbage collector has to finalise, and in
 * the gateway's CPU profile that cost more than the hashing did; the inner
 * digest comes back as a binary (latin1) string because a Buffer made by the
 * native side costs more than the string. The result is byte for byte
 * `createHmac('sha256', key)` (tests compare them); bench/auth/identity-hmac.ts
 * measures both on the identity header.
 */
import { createHash, hash } from 'node:crypto';

const BLOCK = 64;
const DIGEST = 32;

export class HmacSha256 {
  /** The inner pad, then room for the message. */
  #inner: Buffer;
  /** The outer pad, then the inner digest. */
  readonly #outer: Buffer;

  constructor(secret: string | Buffer) {
    const raw = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
    const key = raw.length > BLOCK ? createHash('sha256').update(raw).digest() : raw;
    this.#inner = Buffer.alloc(BLOCK + 1024);
    this.#outer = Buffer.alloc(BLOCK + DIGEST);
    for (let i = 0; i < BLOCK; i++) {
      const byte = key[i] ?? 0;
      this.#inner[i] = byte ^ 0x36;
      this.#outer[i] = byte ^ 0x5c;
    }
  }

  digest(message: string): Buffer {
    return Buffer.from(hash('sha256', this.#outerBlock(message), 'binary'), 'latin1');
  }

  digestBase64url(message: string): string {
    return hash('sha256', this.#outerBlock(message), 'base64url');
  }

  /** opad ‖ H(ipad ‖ message), ready for the outer hash. */
  #outerBlock(message: string): Buffer {
    // UTF-8 takes at most 3 bytes per UTF-16 unit: with that much room the write is never cut short.
    if (BLOCK + message.length * 3 > this.#inner.length) {
      const grown = Buffer.alloc(BLOCK + message.length * 3);
      this.#inner.copy(grown, 0, 0, BLOCK);
      this.#inner = grown;
    }
    const written = this.#inner.write(message, BLOCK, 'utf8');
    this.#outer.write(hash('sha256', this.#inner.subarray(0, BLOCK + written), 'binary'), BLOCK, 'latin1');
    return this.#outer;
  }
}
