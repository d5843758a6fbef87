/**
 * DDSketch (Masson, Rim & Lee, VLDB 2019) with relative accuracy α = 0.01 and unbounded sparse bins.
 * A value v goes to the negative store (v < 0), the zero bin (|v| < MIN_INDEXABLE) or the positive
 * store, in bin ddsketchKey(|v|) — keys found by exact comparison with the shared bound table
 * (ddsketch-bounds.ts), so the TypeScript fold, DuckDB SQL and Spark SQL put every value in the same bin.
 * Merging adds bin counts, which is exact: the state, and its encoding, is independent of order and grouping.
 *
 * Encoding (format 0x09), fixed-width so that SQL can build it with hex/unhex:
 *   byte 0: FORMAT.ddsketch
 *   then per non-empty bin, sorted by (store, key): 12 bytes
 *     1 byte store (0 = negative, 1 = zero, 2 = positive), 3 bytes big-endian key + 2^23
 *     (the zero bin has key 0), 8 bytes big-endian count.
 */
import { ByteReader, ByteWriter, FORMAT } from './bytes.js';
import { DDSketchBins } from './ddsketch-bins.js';
import type { EncodedRuns } from './encoded-runs.js';
import { DDSKETCH_MIN_INDEXABLE, DDSKETCH_REPRESENTATIVE_FACTOR, ddsketchBound, ddsketchKey } from './ddsketch-bounds.js';

export { DDSKETCH_RELATIVE_ACCURACY } from './ddsketch-bounds.js';

/** Added to keys in the encoding so that they are non-negative 24-bit numbers. */
export const DDSKETCH_KEY_OFFSET = 1 << 23;
const ENTRY_BYTES = 12;
const enum Store {
  Negative = 0,
  Zero = 1,
  Positive = 2,
}

function representative(key: number): number {
  return Math.min(ddsketchBound(key) * DDSKETCH_REPRESENTATIVE_FACTOR, Number.MAX_VALUE);
}

/** The key of the entry at byte o (its store byte). */
function keyAt(bytes: Uint8Array, o: number): number {
  return ((bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!) - DDSKETCH_KEY_OFFSET;
}

/** Where the positive entries of an encoded state start (they are its tail: entries sort by store); `end` if none. */
function firstPositive(bytes: Uint8Array, start: number, end: number): number {
  let o = end;
  while (o - ENTRY_BYTES > start && bytes[o - ENTRY_BYTES]! === Store.Positive) o -= ENTRY_BYTES;
  return o;
}

export class DDSketch {
  /** key -> count for values > 0 */
  readonly positive = new DDSketchBins();
  /** key -> count for values < 0 (keyed by |v|) */
  readonly negative = new DDSketchBins();
  zeroCount = 0;
  count = 0;

  /** Folds a finite number (the caller filters out NaN and ±Infinity). */
  add(value: number): void {
    if (value >= DDSKETCH_MIN_INDEXABLE) this.positive.add(ddsketchKey(value), 1);
    else if (value <= -DDSKETCH_MIN_INDEXABLE) this.negative.add(ddsketchKey(-value), 1);
    else this.zeroCount++;
    this.count++;
  }

  /**
   * Adds the counts of an encoded sketch (bytes[start..end), format 0x09 included), read in place:
   * what a scan of stored states does per row, without building a sketch for it.
   */
  mergeEncoded(bytes: Uint8Array, start: number, end: number): void {
    const first = firstPositive(bytes, start, end);
    if (first < end) this.positive.reserve(keyAt(bytes, first), keyAt(bytes, end - ENTRY_BYTES), (end - first) / ENTRY_BYTES);
    this.addEntries(bytes, start, end);
  }

  /** Adds the counts of every run (see EncodedRuns), the positive store sized once for all of them. */
  mergeEncodedRuns(runs: EncodedRuns): void {
    let min = Infinity;
    let max = -Infinity;
    let incoming = 0;
    for (let k = 0; k < runs.length; k++) {
      const bytes = runs.bytes(k);
      const end = runs.end(k);
      const first = firstPositive(bytes, runs.start(k), end);
      if (first === end) continue;
      min = Math.min(min, keyAt(bytes, first));
      max = Math.max(max, keyAt(bytes, end - ENTRY_BYTES));
      incoming += (end - first) / ENTRY_BYTES;
    }
    if (incoming > 0) this.positive.reserve(min, max, incoming);
    for (let k = 0; k < runs.length; k++) this.addEntries(runs.bytes(k), runs.start(k), runs.end(k));
  }

  private addEntries(bytes: Uint8Array, start: number, end: number): void {
    for (let o = start + 1; o + ENTRY_BYTES <= end; o += ENTRY_BYTES) {
      const store = bytes[o]!;
      const key = ((bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!) - DDSKETCH_KEY_OFFSET;
      const n = countAt(bytes, o + 4);
      if (store === Store.Positive) this.positive.add(key, n);
      else if (store === Store.Negative) this.negative.add(key, n);
      else this.zeroCount += n;
      this.count += n;
    }
  }

  /** Adds `other`'s counts; `other` is not modified (merging a sketch into itself doubles it). */
  merge(other: DDSketch): void {
    // Snapshot first so a self-merge does not read counts it has already doubled.
    const positive = [...other.positive];
    const negative = [...other.negative];
    for (const [key, n] of positive) this.positive.add(key, n);
    for (const [key, n] of negative) this.negative.add(key, n);
    this.zeroCount += other.zeroCount;
    this.count += other.count;
  }

  /**
   * The estimate of the value of rank floor(q·(count−1)) in ascending order (0-based), as DataDog's
   * reference implementations do: within α (relative) of the exact value of that rank. null when empty.
   */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    let rank = Math.floor(q * (this.count - 1));
    const negativeCount = this.negative.total;
    if (rank < negativeCount) {
      // Ascending values are descending magnitudes.
      let seen = 0;
      let found = 0;
      this.negative.forEach((key, n) => {
        seen += n;
        found = key;
        return seen > rank;
      }, true);
      return -representative(found);
    }
    rank -= negativeCount;
    if (rank < this.zeroCount) return 0;
    rank -= this.zeroCount;
    let seen = 0;
    let found = 0;
    this.positive.forEach((key, n) => {
      seen += n;
      found = key;
      return seen > rank;
    });
    return representative(found);
  }

  encode(): Uint8Array {
    const bins = this.negative.size + this.positive.size + (this.zeroCount > 0 ? 1 : 0);
    const w = new ByteWriter(1 + ENTRY_BYTES * bins);
    w.byte(FORMAT.ddsketch);
    const entry = (store: Store, key: number, count: number) => {
      w.byte(store);
      w.uintBE(key + DDSKETCH_KEY_OFFSET, 3);
      w.uintBE(count, 8);
    };
    this.negative.forEach((key, n) => entry(Store.Negative, key, n));
    if (this.zeroCount > 0) entry(Store.Zero, 0, this.zeroCount);
    this.positive.forEach((key, n) => entry(Store.Positive, key, n));
    return w.finish();
  }

  static decode(bytes: Uint8Array): DDSketch {
    const r = new ByteReader(bytes, 'quantile (DDSketch)');
    r.header(FORMAT.ddsketch);
    if (r.remaining % ENTRY_BYTES !== 0) throw r.fail(`bin data is not a whole number of ${ENTRY_BYTES}-byte entries`);
    const sketch = new DDSketch();
    let previous = -1;
    let count = 0;
    while (r.remaining > 0) {
      const store = r.byte();
      const key = r.uintBE(3) - DDSKETCH_KEY_OFFSET;
      const n = r.uintBE(8);
      const order = store * 2 ** 24 + key + DDSKETCH_KEY_OFFSET;
      if (store > Store.Positive) throw r.fail(`unknown store ${store}`);
      if (order <= previous) throw r.fail('bins out of order');
      if (n === 0) throw r.fail('empty bin');
      if (store === Store.Zero && key !== 0) throw r.fail('the zero bin has key 0');
      previous = order;
      if (store === Store.Negative) sketch.negative.add(key, n);
      else if (store === Store.Positive) sketch.positive.add(key, n);
      else sketch.zeroCount = n;
      count += n;
    }
    if (!Number.isSafeInteger(count)) throw r.fail('total count exceeds 2^53');
    sketch.count = count;
    return sketch;
  }
}

/**
 * Bin counts by key - min of the negative and the positive store, reused by writeMergedRuns (zeroed
 * over the range each merge uses). Keys of finite doubles span about 70,000 bins (-34,656 to
 * 35,488), so grown by doubling they stay within about 1 MB each.
 */
let negativeScratch = new Float64Array(1024);
let positiveScratch = new Float64Array(1024);

/** 8 bytes big-endian (below 2^53) at byte o. */
function countAt(bytes: Uint8Array, o: number): number {
  const high = ((bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!) >>> 0;
  const low = ((bytes[o + 4]! << 24) | (bytes[o + 5]! << 16) | (bytes[o + 6]! << 8) | bytes[o + 7]!) >>> 0;
  return high * 4294967296 + low;
}

function writeEntry(out: ByteWriter, store: Store, key: number, count: number): void {
  out.byte(store);
  out.uint24BE(key + DDSKETCH_KEY_OFFSET);
  out.uintBE(count, 8);
}

/** Writes the non-zero counts[0..range) as entries of `store` (key = i + min). */
function writeScratch(out: ByteWriter, store: Store, counts: Float64Array, min: number, range: number): void {
  for (let i = 0; i < range; i++) if (counts[i] !== 0) writeEntry(out, store, i + min, counts[i]!);
}

/**
 * The encoding of the merge of `runs` — what `encode()` of a DDSketch that merged them gives —
 * written to `out` with no sketch made (see HyperLogLog's writeMergedRuns for why). One run is
 * copied as it is (stored states are canonical).
 */
export function writeMergedRuns(runs: EncodedRuns, out: ByteWriter): void {
  if (runs.length === 1) {
    out.bytes(runs.bytes(0), runs.start(0), runs.end(0));
    return;
  }
  let negativeMin = Infinity;
  let negativeMax = -Infinity;
  let positiveMin = Infinity;
  let positiveMax = -Infinity;
  for (let k = 0; k < runs.length; k++) {
    const bytes = runs.bytes(k);
    for (let o = runs.start(k) + 1, end = runs.end(k); o + ENTRY_BYTES <= end; o += ENTRY_BYTES) {
      const key = keyAt(bytes, o);
      if (bytes[o] === Store.Negative) {
        if (key < negativeMin) negativeMin = key;
        if (key > negativeMax) negativeMax = key;
      } else if (bytes[o] === Store.Positive) {
        if (key < positiveMin) positiveMin = key;
        if (key > positiveMax) positiveMax = key;
      }
    }
  }
  const negativeRange = Math.max(0, negativeMax - negativeMin + 1);
  const positiveRange = Math.max(0, positiveMax - positiveMin + 1);
  if (negativeRange > negativeScratch.length) negativeScratch = new Float64Array(Math.max(negativeRange, 2 * negativeScratch.length));
  if (positiveRange > positiveScratch.length) positiveScratch = new Float64Array(Math.max(positiveRange, 2 * positiveScratch.length));
  // Zeroed here, not after use: a merge that threw halfway (out of memory) leaves nothing behind.
  negativeScratch.fill(0, 0, negativeRange);
  positiveScratch.fill(0, 0, positiveRange);
  let zero = 0;
  for (let k = 0; k < runs.length; k++) {
    const bytes = runs.bytes(k);
    for (let o = runs.start(k) + 1, end = runs.end(k); o + ENTRY_BYTES <= end; o += ENTRY_BYTES) {
      const n = countAt(bytes, o + 4);
      if (bytes[o] === Store.Negative) negativeScratch[keyAt(bytes, o) - negativeMin]! += n;
      else if (bytes[o] === Store.Positive) positiveScratch[keyAt(bytes, o) - positiveMin]! += n;
      else zero += n;
    }
  }
  out.byte(FORMAT.ddsketch);
  writeScratch(out, Store.Negative, negativeScratch, negativeMin, negativeRange);
  if (zero > 0) writeEntry(out, Store.Zero, 0, zero);
  writeScratch(out, Store.Positive, positiveScratch, positiveMin, positiveRange);
}

/** `quantile(q)` of the sketch encoded at bytes[start..end) (format byte included), read in place. */
export function quantileOfEncoded(bytes: Uint8Array, start: number, end: number, q: number): number | null {
  // Entries sort by (store, key): the negative ones, then the zero bin, then the positive ones.
  let negativeCount = 0;
  let zeroCount = 0;
  let count = 0;
  let positiveFrom = end;
  for (let o = start + 1; o + ENTRY_BYTES <= end; o += ENTRY_BYTES) {
    const n = countAt(bytes, o + 4);
    const store = bytes[o]!;
    if (store === Store.Negative) negativeCount += n;
    else if (store === Store.Zero) zeroCount += n;
    else if (positiveFrom === end) positiveFrom = o;
    count += n;
  }
  if (count === 0) return null;
  let rank = Math.floor(q * (count - 1));
  if (rank < negativeCount) {
    // Ascending values are descending magnitudes: the negative entries from the last.
    let seen = 0;
    let o = start + 1 + ENTRY_BYTES * (Math.floor((end - start - 1) / ENTRY_BYTES) - 1);
    while (bytes[o] !== Store.Negative) o -= ENTRY_BYTES;
    for (; ; o -= ENTRY_BYTES) {
      seen += countAt(bytes, o + 4);
      if (seen > rank || o - ENTRY_BYTES < start + 1) return -representative(keyAt(bytes, o));
    }
  }
  rank -= negativeCount;
  if (rank < zeroCount) return 0;
  rank -= zeroCount;
  let seen = 0;
  for (let o = positiveFrom; ; o += ENTRY_BYTES) {
    seen += countAt(bytes, o + 4);
    if (seen > rank || o + 2 * ENTRY_BYTES > end) return representative(keyAt(bytes, o));
  }
}
