/**
 * UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then randomness. Sorting by id
 * sorts by creation time, which gives keyset pagination a stable order and
 * keeps B-tree inserts local — unlike v4's random order.
 */
import { randomBytes } from 'node:crypto';

let lastMs = 0;
let sequence = 0;

export function uuidv7(now = Date.now()): string {
  // A 12-bit counter in rand_a keeps ids from one process monotonic within a millisecond.
  if (now <= lastMs) {
    sequence = (sequence + 1) & 0xfff;
    if (sequence === 0) lastMs += 1;
    now = lastMs;
  } else {
    lastMs = now;
    sequence = randomBytes(2).readUInt16BE(0) & 0x7ff;
  }
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/** The longest idempotency key a service keeps: the store indexes it, and 191 characters fit every supported database's index. */
export const IDEMPOTENCY_KEY_MAX_LENGTH = 191;
