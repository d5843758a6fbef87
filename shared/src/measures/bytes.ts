/**
 * Byte helpers for measure encodings: unsigned LEB128 varints (up to 2^53, done with arithmetic
 * because JS bit operators are 32-bit), zigzag for signed integers, little-endian float64.
 * Decoding is strict (no overlong varints, no trailing bytes) so that a decoded state always
 * re-encodes to the same bytes, and corrupt cells fail loudly instead of giving wrong answers.
 */
import { CorruptDataError } from '../errors.js';

/** The first byte of every encoded measure state: says which encoding (and version) follows. */
export const FORMAT = {
  count: 0x01,
  sum: 0x02,
  min: 0x03,
  max: 0x04,
  avg: 0x05,
  /** 0x06 (MurmurHash3 registers) is retired: 0x08 is the MD5 HyperLogLog every engine computes alike. */
  hyperloglog: 0x08,
  /** 0x07 (varint bins keyed by Math.log) is retired: 0x09 keys bins by exact comparison with ddsketch-bounds. */
  ddsketch: 0x09,
} as const;

export function corrupt(what: string, detail: string): CorruptDataError {
  return new CorruptDataError(
    `cannot decode ${what} state: ${detail}; the stored bytes are damaged or were written by another ` +
      `format version — rebuild the view (re-run the batch job) to regenerate them`,
  );
}

/** Writes n (a safe non-negative integer) as a varint at out[pos..]; returns the position after it. */
export function putVarint(out: Uint8Array, pos: number, n: number): number {
  while (n >= 128) {
    out[pos++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  out[pos++] = n;
  return pos;
}

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(capacity = 32) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.length + extra, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.length++] = b;
  }

  varint(n: number): void {
    this.reserve(8);
    this.length = putVarint(this.buf, this.length, n);
  }

  zigzag(n: number): void {
    this.varint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  /** n bytes big-endian of a safe non-negative integer (n <= 8). */
  uintBE(x: number, n: number): void {
    this.reserve(n);
    for (let i = n - 1; i >= 0; i--) {
      this.buf[this.length + i] = x % 256;
      x = Math.floor(x / 256);
    }
    this.length += n;
  }

  /** 3 bytes big-endian of a non-negative integer below 2^24. */
  uint24BE(x: number): void {
    this.reserve(3);
    this.buf[this.length] = x >>> 16;
    this.buf[this.length + 1] = (x >>> 8) & 255;
    this.buf[this.length + 2] = x & 255;
    this.length += 3;
  }

  /** Appends bytes[start..end). */
  bytes(bytes: Uint8Array, start = 0, end = bytes.length): void {
    this.reserve(end - start);
    this.buf.set(bytes.subarray(start, end), this.length);
    this.length += end - start;
  }

  /** Forgets what was written; the buffer is kept for the next writes. */
  reset(): void {
    this.length = 0;
  }

  /**
   * The bytes written so far, in place (no copy): valid until the next write, which may move them.
   * What a reader of many states written back to back (a scan's merged sketches) indexes into.
   */
  written(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  f64(x: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, x, true);
    this.length += 8;
  }

  /** A copy trimmed to the written length. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export class ByteReader {
  private pos = 0;
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  fail(detail: string): CorruptDataError {
    return corrupt(this.what, `${detail} (at byte ${this.pos} of ${this.bytes.length})`);
  }

  /** Reads the format byte and checks it. */
  header(expected: number): void {
    const b = this.byte();
    if (b !== expected) {
      throw this.fail(`format byte is 0x${b.toString(16)}, expected 0x${expected.toString(16)}`);
    }
  }

  byte(): number {
    if (this.pos >= this.bytes.length) throw this.fail('unexpected end of data');
    return this.bytes[this.pos++]!;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      result += (b & 127) * scale;
      if (b < 128) {
        if (b === 0 && i > 0) throw this.fail('overlong varint');
        if (!Number.isSafeInteger(result)) throw this.fail('varint exceeds 2^53');
        return result;
      }
      scale *= 128;
    }
    throw this.fail('varint longer than 8 bytes');
  }

  zigzag(): number {
    const z = this.varint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  /** n bytes big-endian as a safe integer (n <= 8); larger values are corrupt. */
  uintBE(n: number): number {
    const bytes = this.take(n);
    let x = 0;
    for (let i = 0; i < n; i++) x = x * 256 + bytes[i]!;
    if (!Number.isSafeInteger(x)) throw this.fail('integer exceeds 2^53');
    return x;
  }

  f64(): number {
    if (this.remaining < 8) throw this.fail('unexpected end of data');
    const x = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return x;
  }

  /** Returns a view of the next n bytes. */
  take(n: number): Uint8Array {
    if (this.remaining < n) throw this.fail('unexpected end of data');
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  end(): void {
    if (this.pos !== this.bytes.length) throw this.fail('trailing bytes');
  }
}
