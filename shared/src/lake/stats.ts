/**
 * Per-file statistics for the `add` action (PROTOCOL.md "Per-file Statistics"), which engines use to
 * skip files. Every bound written must be safe: min <= every value, max >= every value. Where a
 * bound cannot be expressed exactly in JSON (NaN, ±Infinity, longs beyond 2^53, long strings' max)
 * it is left out, which readers treat as "unknown".
 */
import * as arrow from 'apache-arrow';
import type { DeltaField } from './delta-schema.js';

export interface FileStats {
  numRecords: number;
  minValues: Record<string, unknown>;
  maxValues: Record<string, unknown>;
  nullCount: Record<string, number>;
}

/** Delta truncates string stats to a prefix; Spark's default length. */
const STRING_PREFIX = 32;

export function computeStats(table: arrow.Table, fields: DeltaField[]): FileStats {
  const stats: FileStats = { numRecords: table.numRows, minValues: {}, maxValues: {}, nullCount: {} };
  for (const field of fields) {
    const column = table.getChild(field.name);
    if (!column) continue;
    stats.nullCount[field.name] = column.nullCount;
    const bounds = columnBounds(field, column);
    if (bounds?.min !== undefined) stats.minValues[field.name] = bounds.min;
    if (bounds?.max !== undefined) stats.maxValues[field.name] = bounds.max;
  }
  return stats;
}

interface Bounds {
  min?: unknown;
  max?: unknown;
}

function columnBounds(field: DeltaField, column: arrow.Vector): Bounds | undefined {
  switch (field.type) {
    case 'byte':
    case 'short':
    case 'integer':
      return numericBounds(column, false);
    case 'float':
    case 'double':
      return numericBounds(column, true);
    case 'long': {
      const b = int64Bounds(column, 1);
      return b === 'inexact' ? longBounds(column) : b;
    }
    case 'string':
      return stringBounds(column);
    case 'date': {
      const b = numericBounds(column, false);
      return b && { min: isoDate(b.min as number), max: isoDate(b.max as number) };
    }
    case 'timestamp': {
      // Delta stats are truncated down to milliseconds (readers know max may be up to 1 ms low).
      const micros = column.type instanceof arrow.TimestampMicrosecond ? int64Bounds(column, 1 / 1000) : 'inexact';
      const b = micros === 'inexact' ? numericBounds(column, false) : micros;
      return b && { min: isoTimestamp(b.min as number), max: isoTimestamp(b.max as number) };
    }
    default:
      return undefined; // boolean, binary: Delta engines keep no min/max for these
  }
}

function numericBounds(column: arrow.Vector, floating: boolean): Bounds | undefined {
  let min = Infinity;
  let max = -Infinity;
  let seen = false;
  for (const v of column as Iterable<number | null>) {
    if (v === null) continue;
    if (floating && Number.isNaN(v)) return undefined; // NaN has no place in a min/max order
    seen = true;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!seen) return undefined;
  return { min: Number.isFinite(min) ? min : undefined, max: Number.isFinite(max) ? max : undefined };
}

/**
 * Bounds of an Int64-backed column read from its 32-bit words in place (apache-arrow's iterator makes
 * a BigInt of every value), times `scale`; 'inexact' when a value lies beyond ±2^53.
 */
function int64Bounds(column: arrow.Vector, scale: number): Bounds | undefined | 'inexact' {
  let min = Infinity;
  let max = -Infinity;
  for (const chunk of column.data) {
    const values = chunk.values as BigInt64Array;
    const words = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
    for (let i = 0; i < chunk.length; i++) {
      if (!chunk.getValid(i)) continue;
      const high = words[2 * i + 1]!;
      if (high >= 0x200000 || high < -0x200000) return 'inexact';
      const v = high * 2 ** 32 + (words[2 * i]! >>> 0);
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return min === Infinity ? undefined : { min: min * scale, max: max * scale };
}

function longBounds(column: arrow.Vector): Bounds | undefined {
  let min: bigint | undefined;
  let max: bigint | undefined;
  for (const v of column as Iterable<bigint | null>) {
    if (v === null) continue;
    if (min === undefined || v < min) min = v;
    if (max === undefined || v > max) max = v;
  }
  if (min === undefined || max === undefined) return undefined;
  const safe = (x: bigint) => (x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : undefined);
  return { min: safe(min), max: safe(max) };
}

/**
 * Over the UTF-8 bytes in place: byte order is code-point order (what engines compare), and only the
 * two bounds are ever decoded (decoding each value took most of the archiver's stats time). Values
 * are compared as ranges of the chunk's bytes, so no view is made per row.
 */
function stringBounds(column: arrow.Vector): Bounds | undefined {
  let min: Uint8Array | undefined;
  let max: Uint8Array | undefined;
  for (const chunk of column.data) {
    const offsets = chunk.valueOffsets as Int32Array;
    const bytes = chunk.values as Uint8Array;
    // A sliced chunk's offsets start at its first row; its validity bitmap does not (chunk.offset).
    const nullable = chunk.nullCount > 0;
    let lo = -1;
    let hi = -1;
    for (let i = 0; i < chunk.length; i++) {
      if (nullable && !chunk.getValid(i)) continue;
      if (lo < 0) {
        lo = hi = i;
        continue;
      }
      if (compareRanges(bytes, offsets[i]!, offsets[i + 1]!, offsets[lo]!, offsets[lo + 1]!) < 0) lo = i;
      else if (compareRanges(bytes, offsets[i]!, offsets[i + 1]!, offsets[hi]!, offsets[hi + 1]!) > 0) hi = i;
    }
    if (lo < 0) continue;
    const low = bytes.subarray(offsets[lo]!, offsets[lo + 1]!);
    const high = bytes.subarray(offsets[hi]!, offsets[hi + 1]!);
    if (min === undefined || compareBytes(low, min) < 0) min = low;
    if (max === undefined || compareBytes(high, max) > 0) max = high;
  }
  if (min === undefined || max === undefined) return undefined;
  const [low, high] = [textDecoder.decode(min), textDecoder.decode(max)];
  // A prefix is <= the string, so truncating the min keeps it a valid lower bound; a truncated max
  // would be too low, so a long max is left out.
  return { min: truncateCodePoints(low, STRING_PREFIX), max: [...high].length <= STRING_PREFIX ? high : undefined };
}

const textDecoder = new TextDecoder();

/** Byte order of bytes[aFrom, aTo) against bytes[bFrom, bTo). */
function compareRanges(bytes: Uint8Array, aFrom: number, aTo: number, bFrom: number, bTo: number): number {
  const n = Math.min(aTo - aFrom, bTo - bFrom);
  for (let k = 0; k < n; k++) {
    const d = bytes[aFrom + k]! - bytes[bFrom + k]!;
    if (d !== 0) return d;
  }
  return aTo - aFrom - (bTo - bFrom);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function truncateCodePoints(s: string, n: number): string {
  const points = [...s];
  return points.length <= n ? s : points.slice(0, n).join('');
}

function isoDate(ms: number): string | undefined {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString().slice(0, 10);
}

function isoTimestamp(ms: number): string | undefined {
  const d = new Date(Math.floor(ms));
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** Rows of a data file according to its `add.stats`; undefined when the writer recorded none. */
export function fileRowCount(file: { stats?: string | null }): number | undefined {
  if (!file.stats) return undefined;
  const n = (JSON.parse(file.stats) as { numRecords?: unknown }).numRecords;
  return typeof n === 'number' ? n : undefined;
}
