/**
 * One data file of a view table, held column-wise for scans: buckets sorted ascending (a time range is
 * a binary search), dimensions as dictionary ids, scalar states as Float64Arrays and sketch states as
 * one byte buffer with offsets — a few dozen bytes a row instead of an object graph of kilobytes, and
 * no object per row.
 */
import * as arrow from 'apache-arrow';
import { columnOf, stateColumns, type CompiledView } from '@lamina/shared';
import type { Dictionaries } from './dimension-dictionary.js';

export type MeasureColumn =
  /** count, sum (the value), min, max (NaN for null) */
  | { kind: 'number'; values: Float64Array }
  | { kind: 'avg'; sums: Float64Array; counts: Float64Array }
  /** distinct, quantile: state i is bytes[offsets[i]..offsets[i+1]) */
  | { kind: 'bytes'; offsets: Uint32Array; bytes: Uint8Array };

export class ViewChunk {
  private constructor(
    readonly rows: number,
    readonly buckets: Float64Array,
    readonly dims: Int32Array[],
    readonly measures: MeasureColumn[],
    /** Approximate memory held, for the cache budget. */
    readonly bytes: number,
  ) {}

  /** The first row whose bucket is >= ms. */
  lowerBound(ms: number): number {
    return this.firstRow(ms, false);
  }

  /** The first row whose bucket is > ms. */
  upperBound(ms: number): number {
    return this.firstRow(ms, true);
  }

  /** Binary search over the sorted buckets: the first row past ms (`after`) or at or past it. */
  private firstRow(ms: number, after: boolean): number {
    let lo = 0;
    let hi = this.rows;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const bucket = this.buckets[mid]!;
      if (bucket < ms || (after && bucket === ms)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  static fromArrow(view: CompiledView, table: arrow.Table, dictionaries: Dictionaries): ViewChunk {
    const n = table.numRows;
    const rawBuckets = table.getChild('bucket_ms')!;
    const unsorted = new Float64Array(n);
    for (let i = 0; i < n; i++) unsorted[i] = Number(rawBuckets.get(i));
    const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => unsorted[a]! - unsorted[b]!);
    const buckets = Float64Array.from(order, (i) => unsorted[i]!);
    let bytes = 8 * n + 4 * n;
    const dims = view.dimensions.map((d) => {
      const column = table.getChild(columnOf(d))!;
      const dictionary = dictionaries.of(view.name, d);
      const ids = new Int32Array(n);
      for (let j = 0; j < n; j++) ids[j] = dictionary.idOf((column.get(order[j]!) as string | null) ?? null);
      bytes += 4 * n;
      return ids;
    });
    const numbers = (name: string, nullAs: number) => {
      const column = table.getChild(name)!;
      const out = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        const v = column.get(order[j]!) as number | bigint | null;
        out[j] = v === null ? nullAs : Number(v);
      }
      bytes += 8 * n;
      return out;
    };
    const measures = view.measures.map((m): MeasureColumn => {
      const columns = stateColumns(m.name, m.measure);
      switch (m.measure.kind) {
        case 'avg':
          return { kind: 'avg', sums: numbers(columns[0]!.name, 0), counts: numbers(columns[1]!.name, 0) };
        case 'distinct':
        case 'quantile': {
          const column = table.getChild(columns[0]!.name)!;
          const parts: Uint8Array[] = new Array(n);
          let total = 0;
          for (let j = 0; j < n; j++) total += (parts[j] = column.get(order[j]!) as Uint8Array).length;
          const offsets = new Uint32Array(n + 1);
          const data = new Uint8Array(total);
          for (let j = 0, at = 0; j < n; j++) {
            data.set(parts[j]!, at);
            at += parts[j]!.length;
            offsets[j + 1] = at;
          }
          bytes += total + 4 * n;
          return { kind: 'bytes', offsets, bytes: data };
        }
        default:
          return { kind: 'number', values: numbers(columns[0]!.name, Number.NaN) };
      }
    });
    return new ViewChunk(n, buckets, dims, measures, bytes);
  }
}
