/**
 * A run of consecutive frames as the partition file holds them (see frame-codec.ts): what the log
 * hands a consumer, so that a reader on another thread gets one buffer of the bytes already written
 * instead of the main thread building, packing and cloning an object per record. Turning the run into
 * records (decodeFrames) is left to whoever reads them.
 */
import { CorruptDataError } from '../../errors.js';
import type { LogRecord, PartitionBatch } from '../../ports/event-log.js';
import { FRAME_HEADER_BYTES, PAYLOAD_FIXED_BYTES, frameChecksumOk, payloadProblem } from './frame-codec.js';

export interface FrameRun {
  partition: number;
  /** The offset of the first frame; the others follow without a gap. */
  first: number;
  count: number;
  /** Exactly the frames. */
  bytes: Uint8Array;
  /**
   * Set when the bytes were read back from the file: their checksums are verified where they are
   * decoded (on the reader's thread, not the writer's), and damage is reported with these.
   */
  readFrom?: { label: string; path: string; fileStart: number };
}

/**
 * How many frames `buf` holds (offsets from `from` on) when every one is sound; else where the first
 * fails: a frame cut short, a checksum, a payload that does not decode, a frame of another offset.
 */
export function checkFrames(buf: Buffer, from: number): { count: number } | { at: number; offset: number; why: string } {
  let at = 0;
  let offset = from;
  while (at < buf.length) {
    const payloadLength = at + FRAME_HEADER_BYTES <= buf.length ? buf.readUInt32BE(at) : -1;
    const whole = payloadLength >= 0 && at + FRAME_HEADER_BYTES + payloadLength <= buf.length;
    // The header fields decodeFrames relies on, without decoding the key and value twice.
    const why = !whole || !frameChecksumOk(buf, at, payloadLength) ? 'fails its checksum' : frameProblem(buf, at + FRAME_HEADER_BYTES, payloadLength, offset);
    if (why !== undefined) return { at, offset, why };
    at += FRAME_HEADER_BYTES + payloadLength;
    offset++;
  }
  return { count: offset - from };
}

/** The header fields decodeFrames relies on, and the frame's place, without decoding the key and value twice. */
function frameProblem(buf: Buffer, p: number, payloadLength: number, offset: number): string | undefined {
  const problem = payloadProblem(buf, p, payloadLength);
  if (problem !== undefined) return problem;
  const written = buf.readDoubleBE(p + 1);
  return written === offset ? undefined : `says offset ${written}`;
}

/**
 * The records of a run; each value is a view of `run.bytes`. A run read from the file is checked
 * first: damage that happened after the log was opened surfaces here as CorruptDataError.
 */
export function decodeFrames(run: FrameRun): LogRecord[] {
  const { bytes, partition, readFrom } = run;
  // Buffer's reads and utf8 slices over the same memory: no copy, and no view object per key.
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (readFrom !== undefined) {
    const checked = checkFrames(buf, run.first);
    if (!('count' in checked) || checked.count !== run.count) {
      const [offset, at, why] = 'count' in checked ? [run.first + checked.count, buf.length, 'is missing'] : [checked.offset, checked.at, checked.why];
      throw new CorruptDataError(`${readFrom.label}: record ${offset} at byte ${readFrom.fileStart + at} of ${readFrom.path} ${why}; the file was damaged after it was opened — restore it from a backup`);
    }
  }
  const records = new Array<LogRecord>(run.count);
  let at = 0;
  for (let i = 0; i < run.count; i++) {
    const payloadLength = buf.readUInt32BE(at);
    const p = at + FRAME_HEADER_BYTES;
    const keyLength = buf.readInt32BE(p + 17);
    const keyEnd = p + PAYLOAD_FIXED_BYTES + Math.max(keyLength, 0);
    const end = p + payloadLength;
    records[i] = {
      partition,
      offset: buf.readDoubleBE(p + 1),
      key: keyLength === -1 ? null : buf.toString('utf8', p + PAYLOAD_FIXED_BYTES, keyEnd),
      value: new Uint8Array(bytes.buffer, bytes.byteOffset + keyEnd, end - keyEnd),
      timestamp: buf.readDoubleBE(p + 9),
    };
    at = end;
  }
  return records;
}

/**
 * A consumer's batch of one run. Its records are made the first time they are asked for: a consumer
 * on another thread is sent the run's bytes instead (see port-log), and the thread that holds the log
 * makes no object per record for it.
 */
export class FramedBatch implements PartitionBatch {
  private decoded: LogRecord[] | undefined;

  constructor(
    readonly run: FrameRun,
    readonly highWatermark: number,
  ) {}

  get partition(): number {
    return this.run.partition;
  }

  get records(): LogRecord[] {
    return (this.decoded ??= decodeFrames(this.run));
  }
}
