/**
 * The batch part of an answer: scans the chunks of the chosen grain over the query's range, keeps the
 * rows its filters allow, rolls their buckets up to the query's granularity and merges the states of
 * the measures it selects — straight from the stored columns, with no object and no string per row.
 * A group is a slot found by a number (the bucket's ordinal and the mixed-radix number of its
 * dimension ids), in a dense table when the range's (bucket, combination) numbers are few; plain
 * measures add into typed columns, sketches merge their stored bytes once per group at the end, into
 * one buffer per measure, or when asked for a part of one answer (SketchColumn: no state object per
 * group). The
 * groups stay column-wise (ScannedGroups): a row or key is made only for a group asked for. It takes
 * a turn of the event loop every few milliseconds (TimeSlice), so ingest and /healthz never wait
 * behind a scan.
 */
import { dimensionMatcher, isSketchMeasure, measureIndexes, planQuery, zonedBucketStart, type CompiledView, type EncodedRuns, type ViewQuery, TimeSlice } from '@lamina/shared';
import type { Dictionaries, DimensionDictionary } from './dimension-dictionary.js';
import { ScannedGroups, comboOf, parseGroupId, type StateColumns } from './scanned-groups.js';
import { MergedOnAsk, StoredSketches, type RunsBySlot, type SketchColumn } from './sketch-column.js';
import type { ViewChunk } from './view-chunk.js';

/** Past this many dimension combinations, group slots are found by string keys (still one per group, not per row). */
const NUMERIC_COMBOS = 2 ** 32;
/**
 * Up to this many (bucket, combination) numbers, a group's slot is found in a dense table (an array
 * read per row) instead of a Map (a hash lookup per row); a day by hour of 500 urls is 12,000.
 */
const DENSE_KEYS = 2 ** 22;

/**
 * Group slots by (bucket ordinal, combination): a dense table (slot + 1, 0 for none) over the ordinals
 * it has room for, grown as ordinals appear up to DENSE_KEYS, and a Map for the ordinals past it (or
 * every ordinal, when the combinations alone are too many).
 */
class SlotIndex {
  private dense: Int32Array | undefined;
  private readonly map = new Map<number | string, number>();

  constructor(
    private readonly combos: number,
    /** The combinations fit one number with the ordinal (else the Map's keys are strings). */
    private readonly numeric: boolean,
  ) {
    this.dense = numeric && combos <= DENSE_KEYS ? new Int32Array(combos) : undefined;
  }

  /** Makes room in the dense table for `ordinal`'s slots, while that stays within DENSE_KEYS. */
  reserve(ordinal: number): void {
    const need = (ordinal + 1) * this.combos;
    if (this.dense === undefined || need <= this.dense.length || need > DENSE_KEYS) return;
    const grown = new Int32Array(Math.min(DENSE_KEYS - (DENSE_KEYS % this.combos), 2 * need));
    grown.set(this.dense);
    this.dense = grown;
  }

  get(ordinal: number, combo: number): number | undefined {
    const at = ordinal * this.combos + combo;
    if (this.dense !== undefined && at < this.dense.length) {
      const slot = this.dense[at]! - 1;
      return slot < 0 ? undefined : slot;
    }
    return this.map.get(this.numeric ? at : `${ordinal}|${combo}`);
  }

  set(ordinal: number, combo: number, slot: number): void {
    const at = ordinal * this.combos + combo;
    if (this.dense !== undefined && at < this.dense.length) this.dense[at] = slot + 1;
    else this.map.set(this.numeric ? at : `${ordinal}|${combo}`, slot);
  }
}

export interface ScanResult {
  /** The groups found and their merged states (of the selected measures). */
  groups: ScannedGroups;
  rowsScanned: number;
}

/**
 * The stored states of one sketch measure that each group slot merges, as (chunk, row) pairs in a
 * list per slot (typed arrays, no object per row): merged once per group at the end, so a state is
 * sized once for all its rows instead of growing row by row.
 */
class SketchRuns implements EncodedRuns, RunsBySlot {
  private head = new Int32Array(256).fill(-1);
  private next = new Int32Array(1024);
  private chunkOf = new Int32Array(1024);
  private rowOf = new Int32Array(1024);
  private used = 0;
  /** The runs of the slot being merged (indexes into the arrays above). */
  private current: number[] = [];
  length = 0;

  constructor(
    private readonly chunks: readonly ViewChunk[],
    private readonly measure: number,
  ) {}

  add(slot: number, chunk: number, row: number): void {
    if (slot >= this.head.length) {
      const head = new Int32Array(Math.max(2 * this.head.length, slot + 1)).fill(-1);
      head.set(this.head);
      this.head = head;
    }
    if (this.used === this.next.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(2 * a.length);
        b.set(a);
        return b;
      };
      this.next = grow(this.next);
      this.chunkOf = grow(this.chunkOf);
      this.rowOf = grow(this.rowOf);
    }
    const n = this.used++;
    this.chunkOf[n] = chunk;
    this.rowOf[n] = row;
    this.next[n] = this.head[slot]!;
    this.head[slot] = n;
  }

  select(slot: number): EncodedRuns {
    this.current.length = 0;
    for (let n = slot < this.head.length ? this.head[slot]! : -1; n !== -1; n = this.next[n]!) this.current.push(n);
    this.length = this.current.length;
    return this;
  }

  private column(k: number): Extract<ViewChunk['measures'][number], { kind: 'bytes' }> {
    return this.chunks[this.chunkOf[this.current[k]!]!]!.measures[this.measure] as Extract<ViewChunk['measures'][number], { kind: 'bytes' }>;
  }

  bytes(k: number): Uint8Array {
    return this.column(k).bytes;
  }

  start(k: number): number {
    return this.column(k).offsets[this.rowOf[this.current[k]!]!]!;
  }

  end(k: number): number {
    return this.column(k).offsets[this.rowOf[this.current[k]!]! + 1]!;
  }
}

/** The accumulators of the selected measures, one entry per group slot, grown as groups appear. */
class Accumulators implements StateColumns {
  private capacity = 256;
  readonly numbers: (Float64Array | undefined)[];
  readonly counts: (Float64Array | undefined)[];
  /** The sketch states: merged per slot once the rows are scanned (mergeSketches), or when asked. */
  readonly sketches: (SketchColumn | undefined)[];
  private readonly stored: (StoredSketches | undefined)[];
  /** Where each slot's sketch states are (chunk, row), until merged: dropped then, with the chunks. */
  runs: (SketchRuns | undefined)[];

  constructor(
    private readonly view: CompiledView,
    private readonly selected: readonly number[],
    chunks: readonly ViewChunk[],
    /** The part is kept (cached): its sketches are merged once, stored, and the chunks let go. */
    keep: boolean,
  ) {
    const n = view.measures.length;
    this.numbers = new Array(n);
    this.counts = new Array(n);
    this.sketches = new Array(n);
    this.stored = new Array(n);
    this.runs = new Array(n);
    for (const i of selected) {
      const { measure } = view.measures[i]!;
      const kind = measure.kind;
      if (isSketchMeasure(measure)) {
        const runs = (this.runs[i] = new SketchRuns(chunks, i));
        this.sketches[i] = keep ? (this.stored[i] = new StoredSketches(measure)) : new MergedOnAsk(measure, runs);
      } else {
        this.numbers[i] = this.column(kind === 'min' || kind === 'max' ? Number.NaN : 0);
        if (kind === 'avg') this.counts[i] = this.column(0);
      }
    }
  }

  private column(fill: number): Float64Array {
    return new Float64Array(this.capacity).fill(fill);
  }

  /** Makes slot `g` (the next one) exist. */
  add(g: number): void {
    if (g === this.capacity) {
      this.capacity *= 2;
      const grow = (old: Float64Array, fill: number) => {
        const next = this.column(fill);
        next.set(old);
        return next;
      };
      for (const i of this.selected) {
        const kind = this.view.measures[i]!.measure.kind;
        if (this.numbers[i]) this.numbers[i] = grow(this.numbers[i]!, kind === 'min' || kind === 'max' ? Number.NaN : 0);
        if (this.counts[i]) this.counts[i] = grow(this.counts[i]!, 0);
      }
    }
  }

  /** The sketches are stored (a kept part): mergeSketches for every slot, then releaseRuns. */
  get storesSketches(): boolean {
    return this.stored.some((column) => column !== undefined);
  }

  /** Merges slot g's sketch states into the stored columns (each costs as much as hundreds of rows). */
  mergeSketches(g: number): void {
    for (const i of this.selected) this.stored[i]?.append(this.runs[i]!.select(g));
  }

  /** Once every slot is merged: the chunks the runs point into are no longer held. */
  releaseRuns(): void {
    this.runs = [];
    for (const column of this.stored) column?.seal();
  }
}

export interface ScanOptions {
  /** The keys of the groups to merge (the others are skipped); absent, every group. */
  only?: ReadonlySet<string>;
  /**
   * The result is kept beyond one answer (cached): sketches are merged at the end of the scan into
   * stored columns. Otherwise a group's sketches are merged when its result is asked for, and the
   * result holds the chunks.
   */
  keep?: boolean;
}

export async function scanChunks(view: CompiledView, query: ViewQuery, chunks: readonly ViewChunk[], dictionaries: Dictionaries, options: ScanOptions = {}): Promise<ScanResult> {
  const { only, keep = false } = options;
  const groupIndexes = planQuery(view, query);
  const selected = measureIndexes(view, query);
  const dicts: DimensionDictionary[] = view.dimensions.map((d) => dictionaries.of(view.name, d));
  // Per filtered dimension, a verdict per dictionary id (0 unknown, 1 keep, 2 drop), computed once per value seen.
  const filters = Object.entries(query.filters ?? {}).map(([dim, filter]) => {
    const index = view.dimensions.indexOf(dim);
    const matches = dimensionMatcher(filter);
    const verdicts = new Uint8Array(dicts[index]!.size + 1);
    return { index, matches, verdicts, dict: dicts[index]! };
  });
  // Mixed radix over the grouped dimensions' ids (+1: null is -1): one number per combination.
  const radices = groupIndexes.map((d) => dicts[d]!.size + 1);
  const combos = radices.reduce((a, b) => a * b, 1);
  const numeric = combos <= NUMERIC_COMBOS;
  const groupDims = groupIndexes.length;
  // Rolled-up buckets and their ordinals, by stored bucket (rows repeat them).
  const rolled = new Map<number, number>();
  const ordinals = new Map<number, number>();
  const bucketsByOrdinal: number[] = [];
  const wanted = only ? wantedCombos(only, radices) : undefined;

  const slots = new SlotIndex(combos, numeric);
  const slotBucket: number[] = [];
  const slotIds: number[] = [];
  const acc = new Accumulators(view, selected, chunks, keep);
  const numberMeasures = selected.filter((i) => acc.numbers[i] !== undefined && acc.counts[i] === undefined);
  const avgMeasures = selected.filter((i) => acc.counts[i] !== undefined);
  const sketchMeasures = selected.filter((i) => acc.runs[i] !== undefined);
  const kinds = view.measures.map((m) => m.measure.kind);
  let scanned = 0;
  const slice = new TimeSlice();

  for (let c = 0; c < chunks.length; c++) {
    const chunk = chunks[c]!;
    const start = query.from === undefined ? 0 : chunk.lowerBound(query.from);
    const end = query.to === undefined ? chunk.rows : chunk.lowerBound(query.to);
    let storedBucket = Number.NaN;
    let bucket = 0;
    let ordinal = 0;
    let wantedHere: Set<number> | undefined;
    rows: for (let r = start; r < end; r++) {
      scanned++;
      if (slice.due()) await slice.take();
      for (let f = 0; f < filters.length; f++) {
        const filter = filters[f]!;
        const id = chunk.dims[filter.index]![r]!;
        let verdict = filter.verdicts[id + 1]!;
        if (verdict === 0) filter.verdicts[id + 1] = verdict = filter.matches(filter.dict.valueOf(id)) ? 1 : 2;
        if (verdict === 2) continue rows;
      }
      if (chunk.buckets[r] !== storedBucket) {
        storedBucket = chunk.buckets[r]!;
        let b = rolled.get(storedBucket);
        if (b === undefined) rolled.set(storedBucket, (b = zonedBucketStart(storedBucket, query.granularity, query.timeZone)));
        bucket = b;
        let o = ordinals.get(bucket);
        if (o === undefined) {
          ordinals.set(bucket, (o = bucketsByOrdinal.length));
          bucketsByOrdinal.push(bucket);
        }
        ordinal = o;
        slots.reserve(ordinal);
        wantedHere = wanted?.get(bucket);
        if (wanted !== undefined && wantedHere === undefined) {
          // No wanted group in this bucket (a late scan wants a page's few): skip its rows.
          r = Math.min(chunk.upperBound(storedBucket), end) - 1;
          continue;
        }
      }
      let combo = 0;
      for (let g = 0; g < groupDims; g++) combo = combo * radices[g]! + chunk.dims[groupIndexes[g]!]![r]! + 1;
      if (wanted !== undefined && (wantedHere === undefined || !wantedHere.has(combo))) continue;
      let slot = slots.get(ordinal, combo);
      if (slot === undefined) {
        slots.set(ordinal, combo, (slot = slotBucket.length));
        slotBucket.push(bucket);
        slotIds.push(combo);
        acc.add(slot);
      }
      for (let m = 0; m < numberMeasures.length; m++) {
        const i = numberMeasures[m]!;
        const column = chunk.measures[i]!;
        if (column.kind !== 'number') continue;
        const v = column.values[r]!;
        const into = acc.numbers[i]!;
        const kind = kinds[i];
        if (kind === 'count' || kind === 'sum') into[slot] = into[slot]! + v;
        else if (v === v) {
          const s = into[slot]!;
          into[slot] = s !== s ? v : kind === 'min' ? Math.min(s, v) : Math.max(s, v);
        }
      }
      for (let m = 0; m < avgMeasures.length; m++) {
        const i = avgMeasures[m]!;
        const column = chunk.measures[i]!;
        if (column.kind !== 'avg') continue;
        const sums = acc.numbers[i]!;
        const counts = acc.counts[i]!;
        sums[slot] = sums[slot]! + column.sums[r]!;
        counts[slot] = counts[slot]! + column.counts[r]!;
      }
      for (let m = 0; m < sketchMeasures.length; m++) {
        const i = sketchMeasures[m]!;
        const column = chunk.measures[i]!;
        if (column.kind !== 'bytes') continue;
        acc.runs[i]!.add(slot, c, r);
      }
    }
  }

  if (acc.storesSketches) {
    const groupSlice = new TimeSlice(1);
    for (let slot = 0; slot < slotBucket.length; slot++) {
      if (groupSlice.due()) await groupSlice.take();
      acc.mergeSketches(slot);
    }
    acc.releaseRuns();
  }
  const find = (bucket: number, combo: number): number | undefined => {
    const ordinal = ordinals.get(bucket);
    return ordinal === undefined ? undefined : slots.get(ordinal, combo);
  };
  const groups = new ScannedGroups(view, selected, slotBucket, slotIds, groupIndexes.map((d) => dicts[d]!), radices, acc, find);
  return { groups, rowsScanned: scanned };
}

/** The combinations wanted per bucket, from group keys (see groupId) — ids the dictionaries gave, so radices apply. */
function wantedCombos(only: ReadonlySet<string>, radices: readonly number[]): Map<number, Set<number>> {
  const wanted = new Map<number, Set<number>>();
  for (const key of only) {
    const parsed = parseGroupId(key, radices.length);
    const combo = parsed && comboOf(parsed.ids, radices);
    if (combo === undefined) continue; // a value the batch part does not have
    const { bucket } = parsed!;
    let set = wanted.get(bucket);
    if (!set) wanted.set(bucket, (set = new Set()));
    set.add(combo);
  }
  return wanted;
}
