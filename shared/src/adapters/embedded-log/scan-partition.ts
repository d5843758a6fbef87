/**
 * The scan on open: walks a partition file frame by frame, verifies every checksum, rebuilds the
 * offset -> position index, and classifies any damage it meets.
 *
 * Appends are fsynced before they are acknowledged, so a crash can only damage the bytes after the
 * last acknowledged record: a "torn tail" (partial header, partial payload, or garbage/zeros where a
 * write did not reach the disk). That tail held nothing anyone was promised and may be cut off.
 * Damage followed by valid frames is different: records after it were (or may have been)
 * acknowledged, so cutting would silently lose data — the scan reports it for CorruptDataError.
 * (A crash whose unacknowledged write reached the disk out of page order could also look like this;
 * the log then refuses to open rather than guess — an operator decides.)
 */

import type { FileHandle } from 'node:fs/promises';
import { CorruptDataError } from '../../errors.js';
import { readFully } from './file-io.js';
import { FORMAT_VERSION, FRAME_HEADER_BYTES, PAYLOAD_FIXED_BYTES, decodePayload, frameChecksumOk } from './frame-codec.js';
import { PositionIndex } from './position-index.js';

const CHUNK_BYTES = 4 * 1024 * 1024;
const MIN_FRAME_BYTES = FRAME_HEADER_BYTES + PAYLOAD_FIXED_BYTES;

export interface ScanResult {
  index: PositionIndex;
  /** Bytes [0, validEnd) hold whole, valid records; anything after is damage. */
  validEnd: number;
  /** Timestamp of the last valid record (0 if none): appends never go back in time. */
  lastTimestamp: number;
  /** Byte position of a valid frame found after the damage, or null when the damage is a torn tail. */
  validFrameAfterDamage: number | null;
}

/** Sliding read window: big sequential reads instead of one syscall per frame. */
class FileWindow {
  private buf: Buffer = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  private start = 0;
  private len = 0;

  constructor(private readonly fh: FileHandle, readonly size: number) {}

  /** Index of `pos` in `buffer` if [pos, pos+n) is already loaded, else -1. */
  peek(pos: number, n: number): number {
    return pos >= this.start && pos + n <= this.start + this.len ? pos - this.start : -1;
  }

  get buffer(): Buffer {
    return this.buf;
  }

  /** Loads [pos, pos+n) (n must fit in the file) and returns the index of `pos` in `buffer`. */
  async load(pos: number, n: number): Promise<number> {
    const at = this.peek(pos, n);
    if (at >= 0) return at;
    const want = Math.min(Math.max(n, CHUNK_BYTES), this.size - pos);
    if (this.buf.length < want) this.buf = Buffer.allocUnsafeSlow(want);
    if (!(await readFully(this.fh, this.buf, want, pos))) {
      throw new CorruptDataError(`partition file shrank while it was being scanned (at byte ${pos}); is another process using the data folder?`);
    }
    this.start = pos;
    this.len = want;
    return 0;
  }
}

export async function scanPartitionFile(fh: FileHandle, size: number, label: string): Promise<ScanResult> {
  const window = new FileWindow(fh, size);
  const index = new PositionIndex();
  let pos = 0;
  let lastTimestamp = 0;

  while (pos + FRAME_HEADER_BYTES <= size) {
    // peek() first: most frames are already in the window, and an await per frame adds up.
    let at = window.peek(pos, FRAME_HEADER_BYTES);
    if (at < 0) at = await window.load(pos, FRAME_HEADER_BYTES);
    const payloadLength = window.buffer.readUInt32BE(at);
    if (payloadLength < PAYLOAD_FIXED_BYTES || pos + FRAME_HEADER_BYTES + payloadLength > size) break;
    at = window.peek(pos, FRAME_HEADER_BYTES + payloadLength);
    if (at < 0) at = await window.load(pos, FRAME_HEADER_BYTES + payloadLength);
    if (!frameChecksumOk(window.buffer, at, payloadLength)) break;

    const payload = window.buffer.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + payloadLength);
    const decoded = decodePayload(payload);
    const expected = index.length;
    if ('error' in decoded) {
      throw new CorruptDataError(`${label}: record ${expected} at byte ${pos} has a valid checksum but ${decoded.error}; was the file written by a newer Lamina?`);
    }
    if (decoded.offset !== expected) {
      throw new CorruptDataError(
        `${label}: the record at byte ${pos} says offset ${decoded.offset} but sits where offset ${expected} belongs; the file was spliced or copied wrongly — restore it from a backup`,
      );
    }
    index.push(pos);
    lastTimestamp = decoded.timestamp;
    pos += FRAME_HEADER_BYTES + payloadLength;
  }

  const validFrameAfterDamage = pos < size ? await findValidFrame(window, pos, index.length) : null;
  return { index, validEnd: pos, lastTimestamp, validFrameAfterDamage };
}

/**
 * Looks for any byte position after `damageStart` where a valid frame starts. The cheap filters
 * (format version, a plausible offset field) run before the checksum, so garbage with an absurd
 * length field does not cost a checksum over megabytes at every byte.
 */
async function findValidFrame(window: FileWindow, damageStart: number, damagedOffset: number): Promise<number | null> {
  const size = window.size;
  for (let q = damageStart + 1; q + MIN_FRAME_BYTES <= size; q++) {
    let at = window.peek(q, MIN_FRAME_BYTES);
    if (at < 0) at = await window.load(q, MIN_FRAME_BYTES);
    const buf = window.buffer;
    const payloadLength = buf.readUInt32BE(at);
    if (payloadLength < PAYLOAD_FIXED_BYTES || q + FRAME_HEADER_BYTES + payloadLength > size) continue;
    if (buf.readUInt8(at + FRAME_HEADER_BYTES) !== FORMAT_VERSION) continue;
    const offset = buf.readDoubleBE(at + FRAME_HEADER_BYTES + 1);
    // Every record between the damage and q took at least MIN_FRAME_BYTES.
    const maxOffset = damagedOffset + Math.floor((q - damageStart) / MIN_FRAME_BYTES);
    if (!Number.isInteger(offset) || offset < damagedOffset || offset > maxOffset) continue;
    at = await window.load(q, FRAME_HEADER_BYTES + payloadLength);
    if (frameChecksumOk(window.buffer, at, payloadLength)) return q;
  }
  return null;
}
