/**
 * The rows of an answer: the batch part of (generation, view, query), merged with the realtime part,
 * ordered, and — for a page — cut to it.
 *
 * Late sketches: a page (a `limit`) ordered only by the bucket, dimensions and plain measures (count,
 * sum, min, max, avg) is chosen from those alone; the sketch measures (distinct, quantile), which cost
 * far more to merge and finish, are then computed for the page's groups only. A dashboard's top 10
 * of a day by hour merges ten groups' sketches instead of twelve thousand. The rows are the same as
 * a full computation's: the order reads no sketch, and ties keep the same order.
 */
import { isSketchMeasure, measureIndexes, orderIndexes, resultRow, type CompiledView, type GroupRow, type OrderBy, type RealtimePart, type ResultRow, type ViewQuery, TimeSlice } from '@lamina/shared';
import type { LoadedGeneration } from './loaded-generations.js';
import type { BatchPart } from './store/batch-part-cache.js';
import { groupId } from './store/scanned-groups.js';
import type { Dictionaries } from './store/dimension-dictionary.js';

export interface RowWindow {
  offset: number;
  limit: number;
}

export interface AnswerRowsDeps {
  dictionaries: Dictionaries;
  /** The batch part of a query (its selected measures merged per group), cached by the caller. */
  batchPart(view: CompiledView, generation: LoadedGeneration, query: ViewQuery): Promise<BatchPart>;
  /** The batch states of a query's measures for the given groups only (by group key). */
  batchGroups(view: CompiledView, generation: LoadedGeneration, query: ViewQuery, only: ReadonlySet<string>): Promise<Map<string, GroupRow>>;
}

export class AnswerRows {
  constructor(private readonly deps: AnswerRowsDeps) {}

  /** The ordered rows (the window's, when given) and how many the whole answer has. */
  async rows(view: CompiledView, generation: LoadedGeneration, parts: readonly RealtimePart[], query: ViewQuery, orderBy: OrderBy[], window?: RowWindow): Promise<{ rows: ResultRow[]; total: number }> {
    const late = window ? lateMeasures(view, query, orderBy) : [];
    const end = window ? window.offset + window.limit : undefined;
    if (late.length === 0) {
      const { rows, total } = await this.merged(view, generation, parts, query, orderBy, end);
      return { rows: window ? rows.slice(window.offset, end) : rows, total };
    }
    const early = measureIndexes(view, query).filter((i) => !late.includes(i));
    const earlyQuery = { ...query, measures: early.map((i) => view.measures[i]!.name) };
    const { rows, total } = await this.merged(view, generation, parts, earlyQuery, orderBy, end);
    const page = rows.slice(window!.offset, end);
    return { rows: await this.withLate(view, generation, parts, query, late, page), total };
  }

  /**
   * The finished rows of every group of a batch part, computed ahead (what merged() would otherwise
   * compute on first use): the sketches' estimates and quantiles are the cost of a cold answer.
   */
  async finish(view: CompiledView, batch: BatchPart, query: ViewQuery): Promise<void> {
    const groupBy = query.groupBy ?? [...view.dimensions];
    const slice = new TimeSlice(1);
    for (let slot = 0; slot < batch.groups.size; slot++) {
      if (slice.due()) await slice.take();
      batchRow(batch, groupBy, slot);
    }
  }

  /**
   * Batch part plus realtime part: the first `end` rows in order (all when undefined), and how many
   * there are in all. Groups the realtime part touches get fresh merged states; the others keep their
   * cached results. The cached states are never modified.
   */
  private async merged(view: CompiledView, generation: LoadedGeneration, parts: readonly RealtimePart[], query: ViewQuery, orderBy: OrderBy[], end?: number): Promise<{ rows: ResultRow[]; total: number }> {
    const batch = await this.deps.batchPart(view, generation, query);
    const groupBy = query.groupBy ?? [...view.dimensions];
    const selected = measureIndexes(view, query);
    const key = this.keyOf(view, groupBy);
    const { measures } = view;
    const overlay = new Map<string, GroupRow>();
    // The batch groups the realtime part replaces (their merged rows are in the overlay).
    const overlaid = new Set<number>();
    // Merging and finishing groups (sketches: costly each) take turns with ingest and /healthz.
    const slice = new TimeSlice(1);
    for (const part of parts) {
      for (const row of part.rows) {
        if (slice.due()) await slice.take();
        const k = key(row.bucket, row.dims);
        let merged = overlay.get(k);
        if (!merged) {
          const base = batch.groups.slotOf(k);
          if (base !== undefined) overlaid.add(base);
          merged = { bucket: row.bucket, dims: row.dims, states: new Array<unknown>(measures.length) };
          for (const i of selected) merged.states[i] = measures[i]!.measure.merge(measures[i]!.measure.identity(), base !== undefined ? batch.groups.state(base, i) : measures[i]!.measure.identity());
          overlay.set(k, merged);
        }
        for (const i of selected) merged.states[i] = measures[i]!.measure.merge(merged.states[i], row.states[i]);
      }
    }
    if (end === undefined || ordersBySketch(view, orderBy)) {
      // The whole answer, or one ordered by a sketch: the batch groups' sketch results first, taking
      // turns (each merges stored states), column-wise. No object per group is made until the rows
      // are, in order, at the end: made early, fifteen thousand rows lived through the whole answer,
      // outlived two scavenges and filled the old space (a mark-compact every two answers).
      const sketches = selected.filter((i) => isSketchMeasure(measures[i]!.measure));
      for (let slot = 0; sketches.length > 0 && slot < batch.groups.size; slot++) {
        if (slice.due()) await slice.take();
        if (!overlaid.has(slot)) for (const i of sketches) batch.groups.value(slot, i);
      }
    }
    return this.page(view, batch, overlay, overlaid, query, orderBy, end);
  }

  /**
   * The first `end` rows of an answer (all when undefined): ordered from the batch part's columns and
   * the overlay's states, then only those rows are made — a top 10 of twelve thousand groups makes
   * ten answer rows. The same rows, in the same order, as ordering every group's row (orderResults).
   */
  private async page(view: CompiledView, batch: BatchPart, overlay: Map<string, GroupRow>, overlaid: ReadonlySet<number>, query: ViewQuery, orderBy: OrderBy[], end: number | undefined): Promise<{ rows: ResultRow[]; total: number }> {
    const groupBy = query.groupBy ?? [...view.dimensions];
    const selected = measureIndexes(view, query);
    const { groups } = batch;
    // Rows 0..slots.length-1 are batch groups (by slot), the rest the overlay's groups.
    const slots: number[] = [];
    const slice = new TimeSlice();
    for (let slot = 0; slot < groups.size; slot++) {
      if (slice.due()) await slice.take();
      if (!overlaid.has(slot)) slots.push(slot);
    }
    const merged = [...overlay.values()];
    const n = slots.length;
    const column = (field: string): ((r: number) => string | number | null) => {
      if (field === 'bucket') return (r) => (r < n ? groups.bucket(slots[r]!) : merged[r - n]!.bucket);
      const d = groupBy.indexOf(field);
      if (d >= 0) return (r) => (r < n ? groups.dim(slots[r]!, d) : (merged[r - n]!.dims[d] ?? null));
      const i = view.measures.findIndex((m) => m.name === field);
      const measure = view.measures[i]!.measure;
      return (r) => (r < n ? groups.value(slots[r]!, i) : measure.result(merged[r - n]!.states[i]));
    };
    const order = orderIndexes(view, query, n + merged.length, column, orderBy, end);
    const rows = new Array<ResultRow>(order.length);
    for (let k = 0; k < order.length; k++) {
      if (slice.due()) await slice.take();
      const r = order[k]!;
      rows[k] = r < n ? batchRow(batch, groupBy, slots[r]!) : resultRow(view, groupBy, selected, merged[r - n]!);
    }
    return { rows, total: n + merged.length };
  }

  /** The page's rows with the late measures' values added (new row objects: the cached ones stay as they are). */
  private async withLate(view: CompiledView, generation: LoadedGeneration, parts: readonly RealtimePart[], query: ViewQuery, late: number[], page: ResultRow[]): Promise<ResultRow[]> {
    const groupBy = query.groupBy ?? [...view.dimensions];
    const key = this.keyOf(view, groupBy);
    const keys = page.map((r) => key(r.bucket, groupBy.map((d) => r.dims[d] ?? null)));
    const wanted = new Set(keys);
    const lateQuery = { ...query, measures: late.map((i) => view.measures[i]!.name) };
    const batch = await this.deps.batchGroups(view, generation, lateQuery, wanted);
    const { measures } = view;
    const states = new Map<string, unknown[]>();
    for (const k of keys) {
      const base = batch.get(k);
      const s = new Array<unknown>(measures.length);
      for (const i of late) s[i] = measures[i]!.measure.merge(measures[i]!.measure.identity(), base ? base.states[i] : measures[i]!.measure.identity());
      states.set(k, s);
    }
    for (const part of parts) {
      for (const row of part.rows) {
        const s = states.get(key(row.bucket, row.dims));
        if (s) for (const i of late) s[i] = measures[i]!.measure.merge(s[i], row.states[i]);
      }
    }
    return page.map((row, n) => {
      const s = states.get(keys[n]!)!;
      const values = { ...row.values };
      for (const i of late) values[measures[i]!.name] = measures[i]!.measure.result(s[i]);
      return { bucket: row.bucket, dims: row.dims, values };
    });
  }

  private keyOf(view: CompiledView, groupBy: readonly string[]): (bucket: number, dims: readonly (string | null)[]) => string {
    const dicts = groupBy.map((d) => this.deps.dictionaries.of(view.name, d));
    const ids = new Array<number>(groupBy.length);
    return (bucket, dims) => {
      for (let g = 0; g < dims.length; g++) ids[g] = dicts[g]!.idOf(dims[g] ?? null);
      return groupId(bucket, ids);
    };
  }
}

/** A batch group's answer row, made once per batch part. */
function batchRow(batch: BatchPart, groupBy: readonly string[], slot: number): ResultRow {
  return (batch.results[slot] ??= batch.groups.result(slot, groupBy));
}

/** The order reads a sketch measure (distinct, quantile). */
function ordersBySketch(view: CompiledView, orderBy: readonly OrderBy[]): boolean {
  return orderBy.some((o) => {
    const measure = view.measures.find((m) => m.name === o.field)?.measure;
    return measure !== undefined && isSketchMeasure(measure);
  });
}

/** The selected sketch measures a page can compute last: none if the order reads a sketch. */
function lateMeasures(view: CompiledView, query: ViewQuery, orderBy: OrderBy[]): number[] {
  if (ordersBySketch(view, orderBy)) return [];
  return measureIndexes(view, query).filter((i) => isSketchMeasure(view.measures[i]!.measure));
}
