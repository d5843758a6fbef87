/**
 * Answers a query over view rows: time range on finest buckets, filters on dimensions, roll-up to a
 * coarser granularity, group-by a subset of the dimensions, then order and limit on the results.
 * Used by the serving layer on merged rows and by the speed layer to shrink what it sends.
 */
import { ValidationError } from '../errors.js';
import type { CompiledView } from './compiled-view.js';
import { canRollUp, zonedBucketStart, type RollUp } from './time-buckets.js';
import { assertTimeZone } from './time-zones.js';
import { groupKey, type GroupRow } from './view-aggregate.js';

/** Which values of a dimension a query keeps (all given conditions must hold; null is a missing value). */
export interface DimensionFilter {
  /** The value is one of these. */
  in?: (string | null)[];
  /** The value is none of these. */
  not?: (string | null)[];
  /** The value starts with this (never matches null). */
  prefix?: string;
}

/** A predicate for one dimension's values. */
export function dimensionMatcher(filter: DimensionFilter): (value: string | null) => boolean {
  const allowed = filter.in ? new Set(filter.in) : undefined;
  const denied = filter.not ? new Set(filter.not) : undefined;
  const prefix = filter.prefix;
  return (value) => (!allowed || allowed.has(value)) && (!denied || !denied.has(value)) && (prefix === undefined || (value !== null && value.startsWith(prefix)));
}

export interface ViewQuery {
  /** Inclusive lower bound on event time (ms); absent = unbounded. */
  from?: number;
  /** Exclusive upper bound on event time (ms); absent = unbounded. */
  to?: number;
  granularity: RollUp;
  /** Per dimension, the values kept. */
  filters?: Record<string, DimensionFilter>;
  /** Dimensions to group by; absent = all of the view's dimensions. */
  groupBy?: string[];
  /** IANA time zone of day, week and month (and hour) buckets; absent = UTC. */
  timeZone?: string;
  /** Measures to compute (the others stay unmerged: undefined states); absent = all. */
  measures?: string[];
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

/** Indexes of the measures a query computes. */
export function measureIndexes(view: CompiledView, query: ViewQuery): number[] {
  if (query.measures === undefined) return view.measures.map((_, i) => i);
  return query.measures.map((name) => {
    const index = view.measures.findIndex((m) => m.name === name);
    if (index < 0) throw new ValidationError(`view '${view.name}' has no measure '${name}' (measures: ${view.measures.map((m) => m.name).join(', ')})`);
    return index;
  });
}

/** Checks a query against a view and returns the dimension indexes it groups by. */
export function planQuery(view: CompiledView, query: ViewQuery): number[] {
  if (query.timeZone !== undefined) assertTimeZone(query.timeZone);
  measureIndexes(view, query);
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
  const filters = Object.entries(query.filters ?? {}).map(([dim, filter]) => ({ index: view.dimensions.indexOf(dim), matches: dimensionMatcher(filter) }));
  const { measures } = view;
  const selected = measureIndexes(view, query);
  for (const row of rows) {
    // Finest buckets are the resolution limit: a bucket is in range iff its start is in [from, to).
    if (query.from !== undefined && row.bucket < query.from) continue;
    if (query.to !== undefined && row.bucket >= query.to) continue;
    if (!filters.every((f) => f.matches(row.dims[f.index] ?? null))) continue;
    const bucket = zonedBucketStart(row.bucket, query.granularity, query.timeZone);
    const dims = groupIndexes.map((i) => row.dims[i] ?? null);
    const key = groupKey(bucket, dims);
    let out = target.get(key);
    if (!out) {
      out = { bucket, dims, states: new Array<unknown>(measures.length) };
      for (const i of selected) out.states[i] = measures[i]!.measure.identity();
      target.set(key, out);
    }
    for (const i of selected) out.states[i] = measures[i]!.measure.merge(out.states[i], row.states[i]);
  }
}

/** One group's answer row: its grouped dimension values and the selected measures' results. */
export function resultRow(view: CompiledView, groupBy: readonly string[], selected: readonly number[], row: GroupRow): ResultRow {
  const dims: Record<string, string | null> = {};
  groupBy.forEach((d, i) => (dims[d] = row.dims[i] ?? null));
  const values: Record<string, number | null> = {};
  for (const i of selected) values[view.measures[i]!.name] = view.measures[i]!.measure.result(row.states[i]);
  return { bucket: row.bucket, dims, values };
}

/** Orders result rows (default: bucket, then the grouped dimensions) and keeps the first `limit`. */
export function orderResults(view: CompiledView, query: ViewQuery, results: ResultRow[], orderBy: OrderBy[] = [], limit?: number): ResultRow[] {
  const groupBy = query.groupBy ?? [...view.dimensions];
  const column = (field: string) => {
    if (field === 'bucket') return (r: number) => results[r]!.bucket;
    if (groupBy.includes(field)) return (r: number) => results[r]!.dims[field] ?? null;
    return (r: number) => (results[r]!.values[field] as number | null | undefined) ?? null;
  };
  return orderIndexes(view, query, results.length, column, orderBy, limit).map((i) => results[i]!);
}

/**
 * The indexes of the first `limit` of `n` rows in order — what orderResults gives, for rows that are
 * not ResultRows yet: `column(field)(r)` is row r's bucket, grouped dimension value or measure result.
 * A page of groups is ordered without an answer row per group.
 */
export function orderIndexes(view: CompiledView, query: ViewQuery, n: number, column: (field: string) => (r: number) => string | number | null, orderBy: OrderBy[] = [], limit?: number): number[] {
  const groupBy = query.groupBy ?? [...view.dimensions];
  const selected = measureIndexes(view, query);
  const order = orderBy.length > 0 ? orderBy : [{ field: 'bucket', direction: 'ASC' as const }, ...groupBy.map((d) => ({ field: d, direction: 'ASC' as const }))];
  for (const o of order) {
    if (o.field !== 'bucket' && !groupBy.includes(o.field) && !selected.some((i) => view.measures[i]!.name === o.field)) {
      throw new ValidationError(`cannot order by '${o.field}': it is neither 'bucket', a grouped dimension nor a measure of view '${view.name}' the query selects`);
    }
  }
  // Sort keys as ranks, computed once per row: a column's distinct values are sorted once (a few
  // hundred string compares, not one per comparison), nulls before every value. DESC reverses ranks.
  const columns = order.map((o) => {
    const raw = new Array<string | number | null>(n);
    const read = column(o.field);
    for (let r = 0; r < n; r++) raw[r] = read(r);
    return ranked(raw, o.direction === 'DESC');
  });
  // All columns' ranks fit one exact number with the row's index: one native numeric sort, stable.
  let radix = n;
  for (const c of columns) radix *= c.distinct;
  if (radix <= Number.MAX_SAFE_INTEGER && (limit === undefined || limit >= n / 4)) {
    const keys = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      let key = 0;
      for (let k = 0; k < columns.length; k++) key = key * columns[k]!.distinct + columns[k]!.ranks[r]!;
      keys[r] = key * n + r;
    }
    keys.sort();
    const end = limit === undefined ? n : Math.min(limit, n);
    const out = new Array<number>(end);
    for (let i = 0; i < end; i++) out[i] = keys[i]! % n;
    return out;
  }
  const cmp = (a: number, b: number): number => {
    for (let k = 0; k < columns.length; k++) {
      const ranks = columns[k]!.ranks;
      if (ranks[a] !== ranks[b]) return ranks[a]! < ranks[b]! ? -1 : 1;
    }
    return 0;
  };
  if (limit !== undefined && limit < n / 4) return firstInOrder(n, limit, cmp);
  // Ties keep the input order (what a stable sort gives).
  const indexes = Array.from({ length: n }, (_, i) => i).sort((a, b) => cmp(a, b) || a - b);
  return limit === undefined ? indexes : indexes.slice(0, Math.min(limit, n));
}

/**
 * Each value's rank among the distinct values (0 for null, then ascending; reversed when `descending`,
 * so nulls come last then), and how many ranks there are.
 */
function ranked(values: readonly (string | number | null)[], descending: boolean): { ranks: Uint32Array; distinct: number } {
  const distinct = new Map<string | number, number>();
  for (const v of values) if (v !== null) distinct.set(v, 0);
  const sorted = [...distinct.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  sorted.forEach((v, i) => distinct.set(v, i + 1));
  const top = sorted.length;
  const ranks = new Uint32Array(values.length);
  for (let r = 0; r < values.length; r++) {
    const v = values[r]!;
    const rank = v === null ? 0 : distinct.get(v)!;
    ranks[r] = descending ? top - rank : rank;
  }
  return { ranks, distinct: top + 1 };
}

/**
 * The first `k` rows in `cmp` order, ties in input order — what a stable sort then a cut gives — by a
 * bounded heap: a page of a large answer (a top 10 of 100k groups) costs n·log k, not n·log n.
 */
function firstInOrder(n: number, k: number, cmp: (a: number, b: number) => number): number[] {
  if (k === 0) return [];
  // Max-heap of indexes by (cmp, index): its root is the last of the k best so far.
  const heap: number[] = [];
  const after = (i: number, j: number) => {
    const c = cmp(i, j);
    return c > 0 || (c === 0 && i > j);
  };
  const down = (at: number) => {
    for (;;) {
      const l = 2 * at + 1;
      const r = l + 1;
      let top = at;
      if (l < heap.length && after(heap[l]!, heap[top]!)) top = l;
      if (r < heap.length && after(heap[r]!, heap[top]!)) top = r;
      if (top === at) return;
      [heap[at], heap[top]] = [heap[top]!, heap[at]!];
      at = top;
    }
  };
  for (let i = 0; i < n; i++) {
    if (heap.length < k) {
      heap.push(i);
      for (let at = heap.length - 1; at > 0; ) {
        const parent = (at - 1) >> 1;
        if (!after(heap[at]!, heap[parent]!)) break;
        [heap[at], heap[parent]] = [heap[parent]!, heap[at]!];
        at = parent;
      }
    } else if (after(heap[0]!, i)) {
      heap[0] = i;
      down(0);
    }
  }
  return heap.sort((i, j) => cmp(i, j) || i - j);
}

/** Turns accumulated states into numbers, ordered and limited. */
export function finishRows(view: CompiledView, query: ViewQuery, rows: Iterable<GroupRow>, orderBy: OrderBy[] = [], limit?: number): ResultRow[] {
  const groupBy = query.groupBy ?? [...view.dimensions];
  const selected = measureIndexes(view, query);
  return orderResults(view, query, [...rows].map((row) => resultRow(view, groupBy, selected, row)), orderBy, limit);
}

/** Merges rows that are already rolled up per the same query (e.g. from the speed layer) into `target`. */
export function mergeRolledRows(view: CompiledView, query: ViewQuery, rows: Iterable<GroupRow>, target: Map<string, GroupRow>): void {
  const { measures } = view;
  const selected = measureIndexes(view, query);
  for (const row of rows) {
    const key = groupKey(row.bucket, row.dims);
    let out = target.get(key);
    if (!out) {
      out = { bucket: row.bucket, dims: row.dims, states: new Array<unknown>(measures.length) };
      for (const i of selected) out.states[i] = measures[i]!.measure.identity();
      target.set(key, out);
    }
    for (const i of selected) out.states[i] = measures[i]!.measure.merge(out.states[i], row.states[i]);
  }
}
