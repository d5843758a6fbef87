/**
 * Answers a query over view rows: time range on finest buckets, filters on dimensions, roll-up to a
 * coarser granularity, group-by a subset of the dimensions, then order and limit on the results.
 * Used by the serving layer on merged rows and by the speed layer to shrink what it sends.
 */
import { ValidationError } from '../errors.js';
import type { CompiledView } from './compiled-view.js';
import { bucketStart, canRollUp, type RollUp } from './time-buckets.js';
import { groupKey, type GroupRow } from './view-aggregate.js';

export interface ViewQuery {
  /** Inclusive lower bound on event time (ms); absent = unbounded. */
  from?: number;
  /** Exclusive upper bound on event time (ms); absent = unbounded. */
  to?: number;
  granularity: RollUp;
  /** Per dimension, the values kept (null matches a missing value). */
  filters?: Record<string, (string | null)[]>;
  /** Dimensions to group by; absent = all of the view's dimensions. */
  groupBy?: string[];
}

export interface OrderBy {
  field: string;
  direction: 'ASC' | 'DESC';
}

export interface ResultRow {
  bucket: number;
  dims: Record<string, string | null>;
  values: Record<string, number | null>;
}

/** Checks a query against a view and returns the dimension indexes it groups by. */
export function planQuery(view: CompiledView, query: ViewQuery): number[] {
  if (!canRollUp(view.granularity, query.granularity)) {
    throw new ValidationError(`view '${view.name}' is stored per ${view.granularity}; it cannot answer granularity ${query.granularity}`);
  }
  for (const dim of Object.keys(query.filters ?? {})) {
    if (!view.dimensions.includes(dim)) throw new ValidationError(`view '${view.name}' has no dimension '${dim}' to filter on (dimensions: ${view.dimensions.join(', ')})`);
  }
  const groupBy = query.groupBy ?? [...view.dimensions];
  return groupBy.map((dim) => {
    const index = view.dimensions.indexOf(dim);
    if (index < 0) throw new ValidationError(`view '${view.name}' has no dimension '${dim}' to group by (dimensions: ${view.dimensions.join(', ')})`);
    return index;
  });
}

/**
 * Folds the rows that match the query into `target`, keyed by (rolled-up bucket, grouped dims).
 * Source rows are never modified: target rows start from identity states.
 */
export function accumulateRows(view: CompiledView, rows: Iterable<GroupRow>, query: ViewQuery, target: Map<string, GroupRow>): void {
  const groupIndexes = planQuery(view, query);
  const filters = Object.entries(query.filters ?? {}).map(([dim, values]) => ({ index: view.dimensions.indexOf(dim), values: new Set(values) }));
  const { measures } = view;
  for (const row of rows) {
    // Finest buckets are the resolution limit: a bucket is in range iff its start is in [from, to).
    if (query.from !== undefined && row.bucket < query.from) continue;
    if (query.to !== undefined && row.bucket >= query.to) continue;
    if (!filters.every((f) => f.values.has(row.dims[f.index] ?? null))) continue;
    const bucket = bucketStart(row.bucket, query.granularity);
    const dims = groupIndexes.map((i) => row.dims[i] ?? null);
    const key = groupKey(bucket, dims);
    let out = target.get(key);
    if (!out) {
      out = { bucket, dims, states: measures.map((m) => m.measure.identity()) };
      target.set(key, out);
    }
    for (let i = 0; i < measures.length; i++) out.states[i] = measures[i]!.measure.merge(out.states[i], row.states[i]);
  }
}

/** Turns accumulated states into numbers, ordered and limited. */
export function finishRows(view: CompiledView, query: ViewQuery, rows: Iterable<GroupRow>, orderBy: OrderBy[] = [], limit?: number): ResultRow[] {
  const groupBy = query.groupBy ?? [...view.dimensions];
  const results: ResultRow[] = [];
  for (const row of rows) {
    const dims: Record<string, string | null> = {};
    groupBy.forEach((d, i) => (dims[d] = row.dims[i] ?? null));
    const values: Record<string, number | null> = {};
    view.measures.forEach((m, i) => (values[m.name] = m.measure.result(row.states[i])));
    results.push({ bucket: row.bucket, dims, values });
  }
  const order = orderBy.length > 0 ? orderBy : [{ field: 'bucket', direction: 'ASC' as const }, ...groupBy.map((d) => ({ field: d, direction: 'ASC' as const }))];
  for (const o of order) {
    if (o.field !== 'bucket' && !groupBy.includes(o.field) && !view.measures.some((m) => m.name === o.field)) {
      throw new ValidationError(`cannot order by '${o.field}': it is neither 'bucket', a grouped dimension nor a measure of view '${view.name}'`);
    }
  }
  const valueOf = (r: ResultRow, field: string): string | number | null => (field === 'bucket' ? r.bucket : field in r.dims ? r.dims[field]! : r.values[field] ?? null);
  results.sort((a, b) => {
    for (const o of order) {
      const c = compare(valueOf(a, o.field), valueOf(b, o.field));
      if (c !== 0) return o.direction === 'ASC' ? c : -c;
    }
    return 0;
  });
  return limit === undefined ? results : results.slice(0, limit);
}

/** Nulls sort first; numbers numerically; strings by code unit. */
function compare(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

/** Merges rows that are already rolled up per the same query (e.g. from the speed layer) into `target`. */
export function mergeRolledRows(view: CompiledView, rows: Iterable<GroupRow>, target: Map<string, GroupRow>): void {
  const { measures } = view;
  for (const row of rows) {
    const key = groupKey(row.bucket, row.dims);
    let out = target.get(key);
    if (!out) {
      out = { bucket: row.bucket, dims: row.dims, states: measures.map((m) => m.measure.identity()) };
      target.set(key, out);
    }
    for (let i = 0; i < measures.length; i++) out.states[i] = measures[i]!.measure.merge(out.states[i], row.states[i]);
  }
}
