/**
 * DDSketch (Masson, Rim & Lee, VLDB 2019) with relative accuracy α = 0.01 and unbounded sparse bins.
 * A value v ≠ 0 goes to bin key = ceil(log_γ |v|) of the positive or negative store, γ = (1+α)/(1-α);
 * zero has its own count. A bin stands for 2γ^key/(1+γ), within α of every value it holds. Merging adds
 * bin counts, which is exact, so the state — and its encoding — is independent of order and grouping.
 *
 * Keys use Math.log, whose V8 implementation (a port of fdlibm) gives the same bits on every platform
 * Node runs on; the bins are therefore reproducible across machines.
 *
 * Encoding (all integers varints, see bytes.ts):
 *   FORMAT.ddsketch (0x07), zeroCount,
 *   negative store: binCount, then per bin in ascending key order: zigzag(key − previousKey), count
 *   positive store: same
 * where previousKey starts at 0 for each store; the total count is the sum and is not stored.
 */
import { ByteReader, ByteWriter, FORMAT } from './bytes.js';

export const DDSKETCH_RELATIVE_ACCURACY = 0.01;
const GAMMA = (1 + DDSKETCH_RELATIVE_ACCURACY) / (1 - DDSKETCH_RELATIVE_ACCURACY);
const MULTIPLIER = 1 / Math.log(GAMMA);
const REPRESENTATIVE_FACTOR = 2 / (1 + GAMMA);

function keyOf(magnitude: number): number {
  return Math.ceil(Math.log(magnitude) * MULTIPLIER);
}

function valueOf(key: number): number {
  // Computed from the bin's lower bound so the top bin cannot overflow to Infinity before the factor.
  return Math.min(Math.exp((key - 1) / MULTIPLIER) * GAMMA * REPRESENTATIVE_FACTOR, Number.MAX_VALUE);
}

function increment(store: Map<number, number>, key: number, by: number): void {
  store.set(key, (store.get(key) ?? 0) + by);
}

function sortedKeys(store: Map<number, number>): number[] {
  return [...store.keys()].sort((a, b) => a - b);
}

export class DDSketch {
  /** key -> count for values > 0 */
  readonly positive = new Map<number, number>();
  /** key -> count for values < 0 (keyed by |v|) */
  readonly negative = new Map<number, number>();
  zeroCount = 0;
  count = 0;

  /** Folds a finite number (the caller filters out NaN and ±Infinity). */
  add(value: number): void {
    if (value > 0) increment(this.positive, keyOf(value), 1);
    else if (value < 0) increment(this.negative, keyOf(-value), 1);
    else this.zeroCount++;
    this.count++;
  }

  /** Adds `other`'s counts; `other` is not modified (merging a sketch into itself doubles it). */
  merge(other: DDSketch): void {
    // Snapshot first so a self-merge does not read counts it has already doubled.
    const positive = other === this ? new Map(other.positive) : other.positive;
    const negative = other === this ? new Map(other.negative) : other.negative;
    for (const [key, n] of positive) increment(this.positive, key, n);
    for (const [key, n] of negative) increment(this.negative, key, n);
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
    let negativeCount = 0;
    for (const n of this.negative.values()) negativeCount += n;
    if (rank < negativeCount) {
      // Ascending values are descending magnitudes.
      const keys = sortedKeys(this.negative);
      let seen = 0;
      for (let i = keys.length - 1; i >= 0; i--) {
        seen += this.negative.get(keys[i]!)!;
        if (seen > rank) return -valueOf(keys[i]!);
      }
    }
    rank -= negativeCount;
    if (rank < this.zeroCount) return 0;
    rank -= this.zeroCount;
    const keys = sortedKeys(this.positive);
    let seen = 0;
    for (const key of keys) {
      seen += this.positive.get(key)!;
      if (seen > rank) return valueOf(key);
    }
    return valueOf(keys[keys.length - 1]!);
  }

  encode(): Uint8Array {
    const w = new ByteWriter(8 + 4 * (this.positive.size + this.negative.size));
    w.byte(FORMAT.ddsketch);
    w.varint(this.zeroCount);
    for (const store of [this.negative, this.positive]) {
      w.varint(store.size);
      let previous = 0;
      for (const key of sortedKeys(store)) {
        w.zigzag(key - previous);
        w.varint(store.get(key)!);
        previous = key;
      }
    }
    return w.finish();
  }

  static decode(bytes: Uint8Array): DDSketch {
    const r = new ByteReader(bytes, 'quantile (DDSketch)');
    r.header(FORMAT.ddsketch);
    const sketch = new DDSketch();
    sketch.zeroCount = r.varint();
    let count = sketch.zeroCount;
    for (const store of [sketch.negative, sketch.positive]) {
      const bins = r.varint();
      if (bins > r.remaining) throw r.fail(`bin count ${bins} exceeds the data`);
      let key = 0;
      for (let i = 0; i < bins; i++) {
        const delta = r.zigzag();
        if (i > 0 && delta <= 0) throw r.fail('bin keys out of order');
        key += delta;
        const n = r.varint();
        if (n === 0) throw r.fail('empty bin');
        store.set(key, n);
        count += n;
      }
    }
    r.end();
    if (!Number.isSafeInteger(count)) throw r.fail('total count exceeds 2^53');
    sketch.count = count;
    return sketch;
  }
}
