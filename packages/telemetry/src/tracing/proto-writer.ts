/**
 * A minimal protobuf writer over one growable Buffer, for the OTLP span
 * encoder: single pass, strings and hex ids written by Buffer's native
 * encoders. A nested message reserves room for its length up front and is
 * moved (copyWithin) only when its length needs more varint bytes than were
 * reserved.
 */

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

const TWO_32 = 0x1_0000_0000;

/** Byte values of two-digit hex pairs, by (first char code << 7 | second); 0 for anything else (ids are validated before they get here). */
const HEX_PAIR = new Uint8Array(128 * 128);
{
  const digit = (code: number): number =>
    code >= 48 && code <= 57 ? code - 48 : (code | 0x20) >= 97 && (code | 0x20) <= 102 ? (code | 0x20) - 87 : 0;
  for (let a = 0; a < 128; a++) for (let b = 0; b < 128; b++) HEX_PAIR[(a << 7) | b] = digit(a) * 16 + digit(b);
}

/** Bytes a varint of `value` (0 ≤ value < 2^53) takes. */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

export class ProtoWriter {
  buf: Buffer;
  pos = 0;

  constructor(initialSize = 16 * 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Makes room for `bytes` more. */
  ensure(bytes: number): void {
    if (this.pos + bytes > this.buf.length) this.grow(bytes);
  }

  private grow(bytes: number): void {
    let size = this.buf.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  reset(): void {
    this.pos = 0;
  }

  /** A copy of what was written. */
  bytes(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  tag(field: number, wire: number): void {
    const key = field * 8 + wire;
    if (key >= 128) {
      this.varint(key);
      return;
    }
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = key;
  }

  /** 0 ≤ value < 2^53. */
  varint(value: number): void {
    this.ensure(10);
    if (value < 128) {
      this.buf[this.pos++] = value;
      return;
    }
    const buf = this.buf;
    let pos = this.pos;
    while (value >= 128) {
      buf[pos++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    buf[pos++] = value;
    this.pos = pos;
  }

  /** A signed integer as protobuf int64 (negatives take ten bytes, two's complement). */
  int64(value: number): void {
    if (value >= 0) {
      this.varint(value);
      return;
    }
    this.ensure(10);
    let rest = BigInt.asUintN(64, BigInt(value));
    while (rest >= 128n) {
      this.buf[this.pos++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.buf[this.pos++] = Number(rest);
  }

  fixed32(value: number): void {
    this.ensure(4);
    const buf = this.buf;
    const pos = this.pos;
    buf[pos] = value;
    buf[pos + 1] = value >>> 8;
    buf[pos + 2] = value >>> 16;
    buf[pos + 3] = value >>> 24;
    this.pos = pos + 4;
  }

  double(value: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  /**
   * Epoch milliseconds (fractional) as fixed64 nanoseconds, without BigInt:
   * whole milliseconds × 10^6 is split into 16-bit-shifted halves that stay
   * exact in doubles, then carried into the high word.
   */
  fixed64NanosFromMillis(millis: number): void {
    if (!(millis > 0)) millis = 0;
    const whole = Math.floor(millis);
    const fraction = Math.min(999_999, Math.round((millis - whole) * 1e6));
    // whole < 2^42 (until the year 2109): whole × 10^6 + fraction = high × 2^16 + low, each exact.
    const high = Math.floor(whole / 65_536) * 1e6;
    const low = (whole % 65_536) * 1e6 + fraction;
    const lowWord = (high % 65_536) * 65_536 + low;
    const lo = lowWord % TWO_32;
    const hi = Math.floor(high / 65_536) + Math.floor(lowWord / TWO_32);
    this.ensure(8);
    const buf = this.buf;
    const pos = this.pos;
    buf[pos] = lo;
    buf[pos + 1] = lo >>> 8;
    buf[pos + 2] = lo >>> 16;
    buf[pos + 3] = lo >>> 24;
    buf[pos + 4] = hi;
    buf[pos + 5] = hi >>> 8;
    buf[pos + 6] = hi >>> 16;
    buf[pos + 7] = hi >>> 24;
    this.pos = pos + 8;
  }

  /** A length-delimited string (UTF-8). Short ASCII strings are copied here: cheaper than a call into Buffer's encoder. */
  string(value: string): void {
    const length = value.length;
    this.ensure(length * 3 + 5);
    const buf = this.buf;
    if (length < 128) {
      const start = this.pos + 1;
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code >= 128) break;
        buf[start + i] = code;
      }
      if (i === length) {
        buf[this.pos] = length;
        this.pos = start + length;
        return;
      }
    }
    // At most 3 UTF-8 bytes per UTF-16 unit: under 43 units the length fits in one byte.
    if (length < 43) {
      const written = buf.write(value, this.pos + 1, 'utf8');
      buf[this.pos] = written;
      this.pos += 1 + written;
      return;
    }
    this.varint(Buffer.byteLength(value, 'utf8'));
    this.pos += this.buf.write(value, this.pos, 'utf8');
  }

  /** Length-delimited bytes from a hex string of a valid id (span and trace ids: 16 or 32 hex digits). */
  hexBytes(hex: string): void {
    const length = hex.length >>> 1;
    this.ensure(length + 2);
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = length;
    for (let i = 0, j = 0; i < length; i++, j += 2)
      buf[pos++] = HEX_PAIR[((hex.charCodeAt(j) & 127) << 7) | (hex.charCodeAt(j + 1) & 127)] as number;
    this.pos = pos;
  }

  raw(bytes: Uint8Array): void {
    const length = bytes.length;
    this.ensure(length);
    // Short runs are cheaper copied here than through a native call.
    if (length < 64) {
      const buf = this.buf;
      const pos = this.pos;
      for (let i = 0; i < length; i++) buf[pos + i] = bytes[i] as number;
    } else this.buf.set(bytes, this.pos);
    this.pos += length;
  }

  /** Starts a nested message, reserving one byte for its length; pass the result to `end`. */
  begin(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Starts a nested message, reserving two bytes for its length (one up to 16 KiB long); pass the result to `end2`. */
  begin2(): number {
    this.ensure(2);
    const start = this.pos;
    this.pos += 2;
    return start;
  }

  /** Ends the nested message `begin` started, writing its length (moving the body when it needs more than a byte). */
  end(start: number): void {
    const length = this.pos - start - 1;
    if (length < 128) this.buf[start] = length;
    else this.endMoved(start, 1);
  }

  /** Ends the nested message `begin2` started. */
  end2(start: number): void {
    const length = this.pos - start - 2;
    if (length >= 128 && length < 16_384) {
      this.buf[start] = (length % 128) | 0x80;
      this.buf[start + 1] = length >>> 7;
    } else this.endMoved(start, 2);
  }

  private endMoved(start: number, reserve: number): void {
    const bodyStart = start + reserve;
    const length = this.pos - bodyStart;
    const needed = varintSize(length);
    if (needed !== reserve) {
      this.ensure(needed - reserve);
      this.buf.copyWithin(start + needed, bodyStart, this.pos);
      this.pos += needed - reserve;
    }
    let at = start;
    let value = length;
    while (value >= 128) {
      this.buf[at++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    this.buf[at] = value;
  }
}
