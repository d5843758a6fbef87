/**
 * The batch part of an answer: scans the chunks of the chosen grain over the query's range, keeps the
 * rows its filters allow, rolls their buckets up to the query's granularity and merges the states of
 * the measures it selects — straight from the stored columns (sketches from their bytes), with no
 * object per row. It yields to the event loop every few thousand rows, so ingest and /healthz never
 * wait behind a large scan.
 */
import { DDSketch, HyperLogLog, dimensionMatcher, measureIndexes, planQuery, zonedBucketStart, type AvgState, type CompiledView, type GroupRow, type ViewQuery } from '@lamina/shared';
import type { Dictionaries, DimensionDictionary } from './dimension-dictionary.js';
import type { ViewChunk } from './view-chunk.js';

const YIELD_EVERY = 4096;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface ScanResult {
  /** Group key (bucket and dimension ids) -> the group's merged states (unselected measures undefined). */
  groups: Map<string, GroupRow>;
  rowsScanned: number;
}

/** The key of a group of the answer: its bucket and the ids of its grouped dimension values. */
export function groupId(bucket: number, ids: readonly number[]): string {
  let key = String(bucket);
  for (let i = 0; i < ids.length; i++) key += `|${ids[i]}`;
  return key;
}

export async function scanChunks(view: CompiledView, query: ViewQuery, chunks: readonly ViewChunk[], dictionaries: Dictionaries): Promise<ScanResult> {
  const groupIndexes = planQuery(view, query);
  const selected = measureIndexes(view, query);
  const dicts: DimensionDictionary[] = view.dimensions.map((d) => dictionaries.of(view.name, d));
  // Per filtered dimension, a verdict per dictionary id (computed once per value seen).
  const filters = Object.entries(query.filters ?? {}).map(([dim, filter]) => {
    const index = view.dimensions.indexOf(dim);
    const matches = dimensionMatcher(filter);
    const verdicts = new Map<number, boolean>();
    return (id: number) => {
      let v = verdicts.get(id);
      if (v === undefined) verdicts.set(id, (v = matches(dicts[index]!.valueOf(id))));
      return v;
    };
  });
  const filterIndexes = Object.keys(query.filters ?? {}).map((dim) => view.dimensions.indexOf(dim));
  // Buckets repeat row after row: roll each stored bucket up once.
  const rolled = new Map<number, number>();
  const rollUp = (bucket: number) => {
    let b = rolled.get(bucket);
    if (b === undefined) rolled.set(bucket, (b = zonedBucketStart(bucket, query.granularity, query.timeZone)));
    return b;
  };
  const groups = new Map<string, GroupRow>();
  const ids = new Array<number>(groupIndexes.length);
  let scanned = 0;
  for (const chunk of chunks) {
    const start = query.from === undefined ? 0 : chunk.lowerBound(query.from);
    const end = query.to === undefined ? chunk.rows : chunk.lowerBound(query.to);
    rows: for (let r = start; r < end; r++) {
      if (++scanned % YIELD_EVERY === 0) await yieldToEventLoop();
      for (let f = 0; f < filters.length; f++) if (!filters[f]!(chunk.dims[filterIndexes[f]!]![r]!)) continue rows;
      const bucket = rollUp(chunk.buckets[r]!);
      for (let g = 0; g < groupIndexes.length; g++) ids[g] = chunk.dims[groupIndexes[g]!]![r]!;
      const key = groupId(bucket, ids);
      let group = groups.get(key);
      if (!group) {
        group = { bucket, dims: groupIndexes.map((d, g) => dicts[d]!.valueOf(ids[g]!)), states: new Array<unknown>(view.measures.length) };
        for (const i of selected) group.states[i] = view.measures[i]!.measure.identity();
        groups.set(key, group);
      }
      for (const i of selected) mergeCell(view, i, chunk, r, group);
    }
  }
  return { groups, rowsScanned: scanned };
}

function mergeCell(view: CompiledView, i: number, chunk: ViewChunk, r: number, group: GroupRow): void {
  const column = chunk.measures[i]!;
  const states = group.states;
  switch (column.kind) {
    case 'number': {
      const v = column.values[r]!;
      const kind = view.measures[i]!.measure.kind;
      if (kind === 'count' || kind === 'sum') states[i] = (states[i] as number) + v;
      else if (v === v) {
        const s = states[i] as number | null;
        states[i] = s === null ? v : kind === 'min' ? Math.min(s, v) : Math.max(s, v);
      }
      return;
    }
    case 'avg': {
      const s = states[i] as AvgState;
      s.sum += column.sums[r]!;
      s.count += column.counts[r]!;
      return;
    }
    case 'bytes':
      (states[i] as HyperLogLog | DDSketch).mergeEncoded(column.bytes, column.offsets[r]!, column.offsets[r + 1]!);
  }
}
