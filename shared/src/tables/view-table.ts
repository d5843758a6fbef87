/**
 * A batch view as a Delta table: one row per (bucket, dimensions), each measure twice — its
 * number (for Spark/DuckDB users) and its exact mergeable state (for the serving layer).
 */
import * as arrow from 'apache-arrow';
import type { ObjectStore } from '../ports/object-store.js';
import type { CompiledView } from '../views/compiled-view.js';
import type { GroupRow } from '../views/view-aggregate.js';
import type { ViewTableRef } from '../generations/manifest.js';
import { DeltaTable } from '../lake/delta-table.js';

/** Column name of a dimension path (`geo.country` -> `geo_country`): Spark dislikes dots. */
export const dimensionColumn = (path: string) => path.replace(/[^A-Za-z0-9_]/g, '_');
const stateColumn = (measure: string) => `${measure}__state`;

export function viewTableSchema(view: CompiledView): arrow.Schema {
  return new arrow.Schema([
    new arrow.Field('bucket_ms', new arrow.Int64(), false),
    ...view.dimensions.map((d) => new arrow.Field(dimensionColumn(d), new arrow.Utf8(), true)),
    ...view.measures.flatMap((m) => [new arrow.Field(m.name, new arrow.Float64(), true), new arrow.Field(stateColumn(m.name), new arrow.Binary(), false)]),
  ]);
}

export function viewRowsToArrow(view: CompiledView, rows: readonly GroupRow[]): arrow.Table {
  const columns: Record<string, arrow.Vector> = {
    bucket_ms: arrow.vectorFromArray(BigInt64Array.from(rows, (r) => BigInt(r.bucket))),
  };
  view.dimensions.forEach((d, i) => (columns[dimensionColumn(d)] = arrow.vectorFromArray(rows.map((r) => r.dims[i] ?? null), new arrow.Utf8())));
  view.measures.forEach((m, i) => {
    columns[m.name] = arrow.vectorFromArray(rows.map((r) => m.measure.result(r.states[i])), new arrow.Float64());
    columns[stateColumn(m.name)] = arrow.vectorFromArray(rows.map((r) => m.measure.encode(r.states[i])), new arrow.Binary());
  });
  // The lake stamps the table schema (nullability) on write; here the columns only need the right types.
  return new arrow.Table(columns);
}

export function viewRowsFromArrow(view: CompiledView, table: arrow.Table): GroupRow[] {
  const bucket = table.getChild('bucket_ms')!;
  const dims = view.dimensions.map((d) => table.getChild(dimensionColumn(d))!);
  const states = view.measures.map((m) => table.getChild(stateColumn(m.name))!);
  const rows: GroupRow[] = [];
  for (let i = 0; i < table.numRows; i++) {
    rows.push({
      bucket: Number(bucket.get(i)),
      dims: dims.map((d) => (d.get(i) as string | null) ?? null),
      states: states.map((s, j) => view.measures[j]!.measure.decode(s.get(i) as Uint8Array)),
    });
  }
  return rows;
}

/** Writes a generation's rows as a new version of the view's table (an overwrite commit). */
export async function writeViewRows(store: ObjectStore, tablePath: string, view: CompiledView, rows: readonly GroupRow[], generation: number): Promise<ViewTableRef> {
  const table = await DeltaTable.open(store, tablePath);
  await table.createIfMissing(viewTableSchema(view));
  const snapshot = await table.snapshot();
  const version = await table.overwrite(snapshot.version, [viewRowsToArrow(view, rows)], { operationParameters: { generation: String(generation) } });
  return { table: tablePath, version, rows: rows.length };
}

export async function readViewRows(store: ObjectStore, ref: ViewTableRef, view: CompiledView): Promise<GroupRow[]> {
  const table = await DeltaTable.open(store, ref.table);
  const snapshot = await table.snapshot(ref.version);
  const rows: GroupRow[] = [];
  for (const file of snapshot.files) rows.push(...viewRowsFromArrow(view, await table.readDataFile(file, { snapshot })));
  return rows;
}
