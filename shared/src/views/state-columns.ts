/**
 * How each measure's state is stored in a view table: plain typed columns where the state is a number
 * (anyone can read them with SQL), the canonical sketch bytes otherwise. Every engine writes exactly
 * these columns and values (states of the TypeScript fold, DuckDB SQL and Spark SQL are identical;
 * floating-point sums may differ in the last bits with the order of additions).
 *
 *   count     <m>                long    events counted
 *   sum       <m>                double  sum of the values (0 when none)
 *   min, max  <m>                double  null when no value
 *   avg       <m>__sum, <m>__count  double, long   (avg = sum / count)
 *   distinct  <m>__hll           binary  HyperLogLog registers (hyperloglog.ts, format 0x08)
 *   quantile  <m>__sketch        binary  DDSketch bins (ddsketch.ts, format 0x09)
 */
import * as arrow from 'apache-arrow';
import type { Measure } from '../measures/measure.js';
import { DDSketch } from '../measures/ddsketch.js';
import { HyperLogLog } from '../measures/hyperloglog.js';
import type { AvgState } from '../measures/scalar.js';

export interface StateColumn {
  name: string;
  type: arrow.DataType;
  nullable: boolean;
}

type Cell = number | bigint | Uint8Array | null;

/** The columns of a measure named `name`. */
export function stateColumns(name: string, measure: Measure): StateColumn[] {
  switch (measure.kind) {
    case 'count':
      return [{ name, type: new arrow.Int64(), nullable: false }];
    case 'sum':
      return [{ name, type: new arrow.Float64(), nullable: false }];
    case 'min':
    case 'max':
      return [{ name, type: new arrow.Float64(), nullable: true }];
    case 'avg':
      return [
        { name: `${name}__sum`, type: new arrow.Float64(), nullable: false },
        { name: `${name}__count`, type: new arrow.Int64(), nullable: false },
      ];
    case 'distinct':
      return [{ name: `${name}__hll`, type: new arrow.Binary(), nullable: false }];
    case 'quantile':
      return [{ name: `${name}__sketch`, type: new arrow.Binary(), nullable: false }];
    default:
      throw new Error(`no state columns for measure kind ${measure.kind}`);
  }
}

/** The state held by one row's cells (as apache-arrow's Vector.get returns them). */
export function stateFromCells(measure: Measure, cells: readonly unknown[]): unknown {
  const number = (v: unknown) => (typeof v === 'bigint' ? Number(v) : (v as number));
  switch (measure.kind) {
    case 'count':
    case 'sum':
      return number(cells[0]);
    case 'min':
    case 'max':
      return cells[0] === null || cells[0] === undefined ? null : number(cells[0]);
    case 'avg':
      return { sum: number(cells[0]), count: number(cells[1]) } satisfies AvgState;
    case 'distinct':
      return HyperLogLog.decode(cells[0] as Uint8Array);
    case 'quantile':
      return DDSketch.decode(cells[0] as Uint8Array);
    default:
      throw new Error(`no state columns for measure kind ${measure.kind}`);
  }
}

/** The cells of a state, in stateColumns order (int64 cells as bigint, as Arrow builders want them). */
export function cellsOfState(measure: Measure, state: unknown): Cell[] {
  switch (measure.kind) {
    case 'count':
      return [BigInt(state as number)];
    case 'sum':
    case 'min':
    case 'max':
      return [state as number | null];
    case 'avg': {
      const s = state as AvgState;
      return [s.sum, BigInt(s.count)];
    }
    case 'distinct':
    case 'quantile':
      return [measure.encode(state)];
    default:
      throw new Error(`no state columns for measure kind ${measure.kind}`);
  }
}
