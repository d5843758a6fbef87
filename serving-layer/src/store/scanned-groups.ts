/**
 * The groups of a scanned batch part, column-wise: per group slot its bucket, the number of its
 * dimension combination and its measures' merged states in typed columns (sketches encoded, in a
 * SketchColumn). A group's row (ResultRow, GroupRow) or key is made when asked for, not per group per
 * scan: a top 10 of twelve thousand groups is ordered from the columns and makes ten rows.
 */
import type { AvgState, CompiledView, GroupRow, ResultRow } from '@lamina/shared';
import type { DimensionDictionary } from './dimension-dictionary.js';
import type { SketchColumn } from './sketch-column.js';

/** The key of a group of the answer: its bucket and the ids of its grouped dimension values. */
export function groupId(bucket: number, ids: readonly number[]): string {
  let key = String(bucket);
  for (let i = 0; i < ids.length; i++) key += `|${ids[i]}`;
  return key;
}

/** A group's bucket and dimension ids from its key (groupId); undefined for a key of another shape. */
export function parseGroupId(key: string, dims: number): { bucket: number; ids: number[] } | undefined {
  const [bucket, ...ids] = key.split('|').map(Number);
  return ids.length === dims ? { bucket: bucket!, ids } : undefined;
}

/** The mixed-radix number of dimension ids (digit id + 1); undefined for an id the radices do not hold. */
export function comboOf(ids: readonly number[], radices: readonly number[]): number | undefined {
  let combo = 0;
  for (let g = 0; g < radices.length; g++) {
    const digit = ids[g]! + 1;
    if (!(digit >= 0 && digit < radices[g]!)) return undefined;
    combo = combo * radices[g]! + digit;
  }
  return combo;
}

/** The merged states of the selected measures, one entry per group slot. */
export interface StateColumns {
  /** count, sum, min, max (NaN: none yet): the value; avg: the sum. */
  numbers: readonly (Float64Array | undefined)[];
  /** avg: the count. */
  counts: readonly (Float64Array | undefined)[];
  /** distinct, quantile: the merged states, encoded. */
  sketches: readonly (SketchColumn | undefined)[];
}

export class ScannedGroups {
  constructor(
    private readonly view: CompiledView,
    private readonly selected: readonly number[],
    private readonly buckets: readonly number[],
    private readonly combos: readonly number[],
    /** The grouped dimensions' dictionaries and radices (id + 1 per digit), in groupBy order. */
    private readonly dicts: readonly DimensionDictionary[],
    private readonly radices: readonly number[],
    private readonly states: StateColumns,
    /** The slot of (bucket, combination), if the scan found that group. */
    private readonly find: (bucket: number, combo: number) => number | undefined,
  ) {}

  static empty(view: CompiledView): ScannedGroups {
    return new ScannedGroups(view, [], [], [], [], [], { numbers: [], counts: [], sketches: [] }, () => undefined);
  }

  get size(): number {
    return this.buckets.length;
  }

  bucket(slot: number): number {
    return this.buckets[slot]!;
  }

  /** Grouped dimension g's value in group `slot`. */
  dim(slot: number, g: number): string | null {
    let combo = this.combos[slot]!;
    for (let d = this.radices.length - 1; d > g; d--) combo = Math.floor(combo / this.radices[d]!);
    return this.dicts[g]!.valueOf((combo % this.radices[g]!) - 1);
  }

  /** Bytes of the sketch columns (the rest is a few numbers per group). */
  get sketchBytes(): number {
    let bytes = 0;
    for (const column of this.states.sketches) bytes += column?.byteLength ?? 0;
    return bytes;
  }

  /** Measure i's merged state in group `slot`, as GroupRow holds it (a sketch: decoded anew, the caller's). */
  state(slot: number, i: number): unknown {
    const sketch = this.states.sketches[i];
    if (sketch) return sketch.state(slot);
    const value = this.states.numbers[i]![slot]!;
    const kind = this.view.measures[i]!.measure.kind;
    if (kind === 'avg') return { sum: value, count: this.states.counts[i]![slot]! } satisfies AvgState;
    if (kind === 'min' || kind === 'max') return value === value ? value : null;
    return value;
  }

  /** Measure i's result in group `slot`: result(state(slot, i)), with no sketch state made. */
  value(slot: number, i: number): number | null {
    const sketch = this.states.sketches[i];
    return sketch ? sketch.result(slot) : this.view.measures[i]!.measure.result(this.state(slot, i));
  }

  /** Group `slot`'s answer row (resultRow of row(slot)), `groupBy` in the scan's order. */
  result(slot: number, groupBy: readonly string[]): ResultRow {
    const dims: Record<string, string | null> = {};
    for (let g = 0; g < groupBy.length; g++) dims[groupBy[g]!] = this.dim(slot, g);
    const values: Record<string, number | null> = {};
    for (const i of this.selected) values[this.view.measures[i]!.name] = this.value(slot, i);
    return { bucket: this.bucket(slot), dims, values };
  }

  private ids(slot: number): number[] {
    const ids = new Array<number>(this.radices.length);
    let combo = this.combos[slot]!;
    for (let g = this.radices.length - 1; g >= 0; g--) {
      ids[g] = (combo % this.radices[g]!) - 1;
      combo = Math.floor(combo / this.radices[g]!);
    }
    return ids;
  }

  row(slot: number): GroupRow {
    const states = new Array<unknown>(this.view.measures.length);
    for (const i of this.selected) states[i] = this.state(slot, i);
    return { bucket: this.bucket(slot), dims: this.ids(slot).map((id, g) => this.dicts[g]!.valueOf(id)), states };
  }

  /** The slot of the group with this key (groupId), if the batch part has that group. */
  slotOf(key: string): number | undefined {
    const parsed = parseGroupId(key, this.radices.length);
    const combo = parsed && comboOf(parsed.ids, this.radices); // undefined: a value the batch part does not have
    return combo === undefined ? undefined : this.find(parsed!.bucket, combo);
  }

  get(key: string): GroupRow | undefined {
    const slot = this.slotOf(key);
    return slot === undefined ? undefined : this.row(slot);
  }
}
