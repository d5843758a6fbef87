/**
 * The state of one view over some set of events: one row of measure states per (bucket, dimensions).
 * The batch layer builds one over a lake snapshot, the speed layer one per partition over its
 * offset range; merging two aggregates over disjoint event sets gives the aggregate of their union.
 */
import type { LaminaEvent } from '../events/event.js';
import type { CompiledView } from './compiled-view.js';
import { readPath } from './compiled-view.js';

export interface GroupRow {
  bucket: number;
  dims: (string | null)[];
  states: unknown[];
}

export function groupKey(bucket: number, dims: readonly (string | null)[]): string {
  return dims.length === 0 ? String(bucket) : `${bucket}\u0000${JSON.stringify(dims)}`;
}

export class ViewAggregate {
  readonly groups = new Map<string, GroupRow>();

  constructor(readonly view: CompiledView) {}

  /** Folds an event in if the view takes it; returns whether it did. */
  add(event: LaminaEvent): boolean {
    if (!this.view.matches(event)) return false;
    const row = this.rowFor(this.view.bucketOf(event), this.view.dimensionValues(event));
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
    if (!row) {
      row = { bucket, dims, states: this.view.measures.map((m) => m.measure.identity()) };
      this.groups.set(key, row);
    }
    return row;
  }
}
