/**
 * The state of one view over some set of events: one row of measure states per (bucket, dimensions).
 * The batch layer builds one over a lake snapshot, the speed layer one per partition over its
 * offset range; merging two aggregates over disjoint event sets gives the aggregate of their union.
 */
import type { LaminaEvent } from '../events/event.js';
import type { CompiledView } from './compiled-view.js';
import { dimensionValue, readPath } from './compiled-view.js';

export interface GroupRow {
  bucket: number;
  dims: (string | null)[];
  states: unknown[];
}

/**
 * A group's identity as one string: the bucket, then per dimension \u0001 for null or \u0000, the
 * value's length, ':' and the value. Length-prefixed, it is injective without escaping anything.
 * JSON.stringify of the dimensions was a sixth of the fold's view work; the parts are joined instead,
 * not concatenated: `a + b` makes a rope, and a Map keeps a rope key's nodes (349 B a key against 96
 * for the flat string, +158 B per realtime row).
 */
export function groupKey(bucket: number, dims: readonly (string | null)[]): string {
  beginKey(bucket);
  for (let i = 0; i < dims.length; i++) pushDimension(dims[i]!);
  return endKey();
}

/** The parts of the key being built, reused: one array, not one per event. */
const keyParts: (string | number)[] = [];

function beginKey(bucket: number): void {
  keyParts.length = 0;
  keyParts.push(bucket);
}

function pushDimension(value: string | null): void {
  if (value === null) keyParts.push('\u0001');
  else keyParts.push('\u0000', value.length, ':', value);
}

function endKey(): string {
  return keyParts.join('');
}

export class ViewAggregate {
  readonly groups = new Map<string, GroupRow>();

  constructor(readonly view: CompiledView) {}

  /** Folds an event in if the view takes it; returns whether it did. */
  add(event: LaminaEvent): boolean {
    if (!this.view.matches(event)) return false;
    const bucket = this.view.bucketOf(event);
    // The key straight from the event's values (5 % less fold time): the dimension array is made only for a new group.
    const { dimensions } = this.view;
    beginKey(bucket);
    for (let i = 0; i < dimensions.length; i++) pushDimension(dimensionValue(readPath(event.data, dimensions[i]!)));
    const key = endKey();
    let row = this.groups.get(key);
    if (!row) this.groups.set(key, (row = this.newRow(bucket, this.view.dimensionValues(event))));
    const { measures } = this.view;
    for (let i = 0; i < measures.length; i++) {
      const m = measures[i]!;
      row.states[i] = m.measure.add(row.states[i], m.field === undefined ? undefined : readPath(event.data, m.field.path));
    }
    return true;
  }

  /** Merges a row over events disjoint from this aggregate's (the row is not modified). */
  mergeRow(other: GroupRow): void {
    const row = this.rowFor(other.bucket, other.dims);
    const { measures } = this.view;
    for (let i = 0; i < measures.length; i++) row.states[i] = measures[i]!.measure.merge(row.states[i], other.states[i]);
  }

  mergeAggregate(other: ViewAggregate): void {
    for (const row of other.groups.values()) this.mergeRow(row);
  }

  rows(): IterableIterator<GroupRow> {
    return this.groups.values();
  }

  get size(): number {
    return this.groups.size;
  }

  private rowFor(bucket: number, dims: (string | null)[]): GroupRow {
    const key = groupKey(bucket, dims);
    let row = this.groups.get(key);
    if (!row) this.groups.set(key, (row = this.newRow(bucket, dims)));
    return row;
  }

  private newRow(bucket: number, dims: (string | null)[]): GroupRow {
    return { bucket, dims, states: this.view.measures.map((m) => m.measure.identity()) };
  }
}
