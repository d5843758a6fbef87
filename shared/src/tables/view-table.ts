/**
 * A batch view as a Delta table, partitioned by the date of its time bucket (`_date`): one row per
 * (bucket, dimensions) holds the measure states (state-columns.ts). A table belongs to one view
 * definition (its fingerprint is in the path); generations pin its versions.
 *
 * Incremental batch runs append a delta file per touched date instead of rewriting it, so a table
 * may hold several rows for the same (bucket, dimensions): their states merge (the measures are
 * monoids). Readers merge rows with equal keys; a date is rewritten into one file when its delta
 * files pile up (batch.maxDeltaFilesPerDate) or on a full run.
 */
import * as arrow from 'apache-arrow';
import { columnOf } from '../events/field-paths.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { CompiledView } from '../views/compiled-view.js';
import type { GroupRow } from '../views/view-aggregate.js';
import type { ViewTableRef } from '../generations/manifest.js';
import { DeltaTable } from '../lake/delta-table.js';
import { cellsOfState, stateColumns, stateFromCells } from '../views/state-columns.js';

export const VIEW_PARTITION_COLUMNS = ['_date'];
const DAY_MS = 86_400_000;

/** Column name of a dimension path (`geo.country` -> `geo__country`). */
export const dimensionColumn = columnOf;

export function viewTableSchema(view: CompiledView): arrow.Schema {
  return new arrow.Schema([
    new arrow.Field('bucket_ms', new arrow.Int64(), false),
    ...view.dimensions.map((d) => new arrow.Field(dimensionColumn(d), new arrow.Utf8(), true)),
    ...view.measures.flatMap((m) => stateColumns(m.name, m.measure).map((c) => new arrow.Field(c.name, c.type, c.nullable))),
    new arrow.Field('_date', new arrow.DateDay(), false),
  ]);
}

/** Rows as one Arrow table per bucket date (the TypeScript path: tests, tools). */
export function viewRowsToArrow(view: CompiledView, rows: readonly GroupRow[]): Map<number, arrow.Table> {
  const byDay = new Map<number, GroupRow[]>();
  for (const row of rows) {
    const day = Math.floor(row.bucket / DAY_MS);
    let list = byDay.get(day);
    if (!list) byDay.set(day, (list = []));
    list.push(row);
  }
  const schema = viewTableSchema(view);
  const out = new Map<number, arrow.Table>();
  for (const [day, list] of byDay) {
    const columns: Record<string, arrow.Vector> = {
      bucket_ms: arrow.makeVector(BigInt64Array.from(list, (r) => BigInt(r.bucket))),
      _date: arrow.vectorFromArray(new Array<number>(list.length).fill(day * DAY_MS), new arrow.DateDay()),
    };
    view.dimensions.forEach((d, i) => (columns[dimensionColumn(d)] = arrow.vectorFromArray(list.map((r) => r.dims[i] ?? null), new arrow.Utf8())));
    view.measures.forEach((m, i) => {
      const cells = list.map((r) => cellsOfState(m.measure, r.states[i]));
      stateColumns(m.name, m.measure).forEach((c, j) => (columns[c.name] = arrow.vectorFromArray(cells.map((cs) => cs[j]), schema.fields.find((f) => f.name === c.name)!.type)));
    });
    out.set(day, new arrow.Table(columns));
  }
  return out;
}

/** Appends a view's rows to `target` (several rows may share a key: readers merge them). */
export function viewRowsFromArrow(view: CompiledView, table: arrow.Table, target: GroupRow[]): void {
  const bucket = table.getChild('bucket_ms')!;
  const dims = view.dimensions.map((d) => table.getChild(dimensionColumn(d))!);
  const states = view.measures.map((m) => stateColumns(m.name, m.measure).map((c) => table.getChild(c.name)!));
  for (let i = 0; i < table.numRows; i++) {
    target.push({
      bucket: Number(bucket.get(i)),
      dims: dims.map((d) => (d.get(i) as string | null) ?? null),
      states: states.map((cols, j) => stateFromCells(view.measures[j]!.measure, cols.map((c) => c.get(i)))),
    });
  }
}

/** Every row of a generation's view table (one row per stored row; equal keys are merged by the caller). */
export async function readViewRows(store: ObjectStore, ref: ViewTableRef, view: CompiledView): Promise<GroupRow[]> {
  const table = DeltaTable.open(store, ref.table);
  const snapshot = await table.snapshot(ref.version);
  const rows: GroupRow[] = [];
  for (const file of snapshot.files) viewRowsFromArrow(view, await table.readDataFile(file, { snapshot }), rows);
  return rows;
}
