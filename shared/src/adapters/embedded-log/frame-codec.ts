/**
 * On-disk framing of one record: [u32 payload length][u32 crc32(payload)][payload], big-endian.
 * Payload: [u8 format version][f64 offset][f64 timestamp ms][i32 key length, -1 = null][key][value].
 * The offset is stored although it is implied by the record's place in the file: it lets the scan
 * on open prove that every frame is where it belongs (a spliced or duplicated region fails loudly).
 * f64 holds integers exactly up to 2^53, the same bound the port puts on offsets.
 */

import { crc32 } from './crc32.js';

export const FRAME_HEADER_BYTES = 8;
export const PAYLOAD_FIXED_BYTES = 1 + 8 + 8 + 4;
export const FORMAT_VERSION = 1;

export interface FrameInput {
  key: Uint8Array | null;
  /** Bytes, or text written as UTF-8 straight into the frame (no buffer of its own first). */
  value: Uint8Array | string;
  /** The value's length in bytes (as UTF-8 for text). */
  valueBytes: number;
}

export interface DecodedPayload {
  offset: number;
  timestamp: number;
  key: string | null;
  value: Uint8Array;
}

export function frameBytes(input: FrameInput): number {
  return FRAME_HEADER_BYTES + PAYLOAD_FIXED_BYTES + (input.key?.length ?? 0) + input.valueBytes;
}

/** Writes one frame into `target` at `at`; returns the number of bytes written. Its value ends the frame. */
export function encodeFrameInto(target: Buffer, at: number, offset: number, timestamp: number, input: FrameInput): number {
  const keyLength = input.key?.length ?? 0;
  const payloadLength = PAYLOAD_FIXED_BYTES + keyLength + input.valueBytes;
  const p = at + FRAME_HEADER_BYTES;
  target.writeUInt8(FORMAT_VERSION, p);
  target.writeDoubleBE(offset, p + 1);
  target.writeDoubleBE(timestamp, p + 9);
  target.writeInt32BE(input.key === null ? -1 : keyLength, p + 17);
  if (input.key !== null) target.set(input.key, p + PAYLOAD_FIXED_BYTES);
  const valueAt = p + PAYLOAD_FIXED_BYTES + keyLength;
  if (typeof input.value === 'string') target.write(input.value, valueAt, input.valueBytes, 'utf8');
  else target.set(input.value, valueAt);
  target.writeUInt32BE(payloadLength, at);
  target.writeUInt32BE(crc32(target.subarray(p, p + payloadLength)), at + 4);
  return FRAME_HEADER_BYTES + payloadLength;
}

/** True when the frame at `at` (header and payload fully inside `buf`) matches its checksum. */
export function frameChecksumOk(buf: Buffer, at: number, payloadLength: number): boolean {
  const payload = buf.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + payloadLength);
  return payload.length === payloadLength && crc32(payload) === buf.readUInt32BE(at + 4);
}

/**
 * Why the payload of `length` bytes at `p` (checksum verified) cannot be decoded, or undefined: the
 * fixed fields read where they must, its key fits. Checked without decoding the key and value.
 */
export function payloadProblem(buf: Buffer, p: number, length: number): string | undefined {
  if (length < PAYLOAD_FIXED_BYTES) return `payload of ${length} bytes is shorter than the fixed ${PAYLOAD_FIXED_BYTES}-byte header`;
  const version = buf.readUInt8(p);
  if (version !== FORMAT_VERSION) return `unknown record format version ${version} (this Lamina reads ${FORMAT_VERSION})`;
  const keyLength = buf.readInt32BE(p + 17);
  if (keyLength < -1 || PAYLOAD_FIXED_BYTES + Math.max(keyLength, 0) > length) return `key length ${keyLength} does not fit the ${length}-byte payload`;
  return undefined;
}

/** Decodes a payload whose checksum has already been verified. Values are views into `payload`. */
export function decodePayload(payload: Buffer): DecodedPayload | { error: string } {
  const error = payloadProblem(payload, 0, payload.length);
  if (error !== undefined) return { error };
  const offset = payload.readDoubleBE(1);
  const timestamp = payload.readDoubleBE(9);
  const keyLength = payload.readInt32BE(17);
  const valueStart = PAYLOAD_FIXED_BYTES + Math.max(keyLength, 0);
  // Buffer's utf8, not TextDecoder: that one drops a leading BOM, and a key must read back as written.
  const key = keyLength === -1 ? null : payload.toString('utf8', PAYLOAD_FIXED_BYTES, valueStart);
  const value = new Uint8Array(payload.buffer, payload.byteOffset + valueStart, payload.length - valueStart);
  return { offset, timestamp, key, value };
}
