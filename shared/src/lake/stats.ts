/**
 * Per-file statistics for the `add` action (PROTOCOL.md "Per-file Statistics"), which engines use to
 * skip files. Every bound written must be safe: min <= every value, max >= every value. Where a
 * bound cannot be expressed exactly in JSON (NaN, ±Infinity, longs beyond 2^53, long strings' max)
 * it is left out, which readers treat as "unknown".
 */
import type * as arrow from 'apache-arrow';
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
    case 'long':
      return longBounds(column);
    case 'string':
      return stringBounds(column);
    case 'date': {
      const b = numericBounds(column, false);
      return b && { min: isoDate(b.min as number), max: isoDate(b.max as number) };
    }
    case 'timestamp': {
      // apache-arrow returns microsecond timestamps as fractional epoch milliseconds; Delta stats
      // are truncated down to milliseconds (readers know max may be up to 1 ms low).
      const b = numericBounds(column, false);
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

function stringBounds(column: arrow.Vector): Bounds | undefined {
  let min: string | undefined;
  let max: string | undefined;
  for (const v of column as Iterable<string | null>) {
    if (v === null) continue;
    if (min === undefined || compareCodePoints(v, min) < 0) min = v;
    if (max === undefined || compareCodePoints(v, max) > 0) max = v;
  }
  if (min === undefined || max === undefined) return undefined;
  // A prefix is <= the string, so truncating the min keeps it a valid lower bound; a truncated max
  // would be too low, so a long max is left out.
  return { min: truncateCodePoints(min, STRING_PREFIX), max: [...max].length <= STRING_PREFIX ? max : undefined };
}

function truncateCodePoints(s: string, n: number): string {
  const points = [...s];
  return points.length <= n ? s : points.slice(0, n).join('');
}

/**
 * Compares strings in code-point order, which equals UTF-8 byte order (how Parquet and Delta engines
 * order strings). JS '<' compares UTF-16 units and puts U+E000..U+FFFF after astral characters.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x += x >= 0xe000 ? -0x800 : 0x2000;
    if (y >= 0xd800) y += y >= 0xe000 ? -0x800 : 0x2000;
    return x - y;
  }
  return a.length - b.length;
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
