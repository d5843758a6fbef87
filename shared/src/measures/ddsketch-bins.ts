/**
 * The bin counts of one store of a DDSketch (positive or negative values), by key. Two fields for
 * the first bin, a Map while few are set — most sketches of a view's small groups have a handful,
 * a realtime group often one — then a dense Float64Array
 * over the key range, where adding is an index and ordering is free (keys of real data span a few
 * hundred bins at α = 0.01). The representation never shows in the encoding.
 */
const DENSE_AFTER = 48;
/** Keys of slack on each side when a dense range grows, so that growing is rare. */
const GROW_SLACK = 32;

export class DDSketchBins {
  /**
   * Sparse bins past the first. The first bin is held in `firstKey`/`firstCount` until a second key
   * comes: a realtime group of one or two events (most of them) then holds no Map (~200 B each).
   */
  private sparse: Map<number, number> | null = null;
  private firstKey = 0;
  private firstCount = 0;
  private counts: Float64Array | null = null;
  /** The key of counts[0]. */
  private offset = 0;
  /** Non-empty bins. */
  private bins = 0;
  /** Sum of all counts. */
  total = 0;

  add(key: number, n: number): void {
    this.total += n;
    if (this.counts === null) {
      if (this.sparse === null) {
        if (this.bins === 0) {
          this.firstKey = key;
          this.firstCount = n;
          this.bins = 1;
          return;
        }
        if (key === this.firstKey) {
          this.firstCount += n;
          return;
        }
        this.sparse = new Map([[this.firstKey, this.firstCount]]);
      }
      const sparse = this.sparse;
      const old = sparse.get(key);
      if (old !== undefined) {
        sparse.set(key, old + n);
        return;
      }
      sparse.set(key, n);
      this.bins++;
      if (this.bins > DENSE_AFTER) this.toDense();
      return;
    }
    let at = key - this.offset;
    if (at < 0 || at >= this.counts.length) {
      this.grow(key);
      at = key - this.offset;
    }
    if (this.counts[at] === 0) this.bins++;
    this.counts[at]! += n;
  }

  /**
   * Makes room for `incoming` bins with keys in [minKey, maxKey] before they are added one by one (a
   * stored state merged in): dense at once if they would make it dense, the range grown once.
   */
  reserve(minKey: number, maxKey: number, incoming: number): void {
    if (this.counts === null) {
      if (this.bins + incoming <= DENSE_AFTER) return;
      this.toDense(minKey, maxKey);
    }
    if (minKey < this.offset) this.grow(minKey);
    if (maxKey >= this.offset + this.counts!.length) this.grow(maxKey);
  }

  get size(): number {
    return this.bins;
  }

  /** Calls `f(key, count)` for every non-empty bin, keys ascending (or descending). */
  forEach(f: (key: number, count: number) => boolean | void, descending = false): void {
    if (this.counts !== null) {
      const c = this.counts;
      if (descending) {
        for (let i = c.length - 1; i >= 0; i--) if (c[i] !== 0 && f(i + this.offset, c[i]!) === true) return;
      } else {
        for (let i = 0; i < c.length; i++) if (c[i] !== 0 && f(i + this.offset, c[i]!) === true) return;
      }
      return;
    }
    const sparse = this.sparse;
    if (sparse === null) {
      if (this.bins === 1) f(this.firstKey, this.firstCount);
      return;
    }
    const keys = [...sparse.keys()].sort((a, b) => (descending ? b - a : a - b));
    for (const key of keys) if (f(key, sparse.get(key)!) === true) return;
  }

  /** The [key, count] pairs, keys ascending. */
  *[Symbol.iterator](): IterableIterator<[number, number]> {
    const pairs: [number, number][] = [];
    this.forEach((key, count) => void pairs.push([key, count]));
    yield* pairs;
  }

  private toDense(min = Infinity, max = -Infinity): void {
    const bins: [number, number][] = [];
    this.forEach((key, n) => void bins.push([key, n]));
    for (const [key] of bins) {
      if (key < min) min = key;
      if (key > max) max = key;
    }
    this.offset = min - GROW_SLACK;
    this.counts = new Float64Array(max - min + 1 + 2 * GROW_SLACK);
    for (const [key, n] of bins) this.counts[key - this.offset] = n;
    this.sparse = null;
  }

  private grow(key: number): void {
    const old = this.counts!;
    const start = Math.min(this.offset, key - GROW_SLACK);
    const end = Math.max(this.offset + old.length, key + 1 + GROW_SLACK);
    const counts = new Float64Array(end - start);
    counts.set(old, this.offset - start);
    this.counts = counts;
    this.offset = start;
  }
}
