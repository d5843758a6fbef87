/**
 * Data files of a Delta table: an Arrow table in, one Parquet file plus its `add` action out, and back.
 * Files are immutable and uniquely named, so writing one is safe before the commit that references it;
 * a file no commit references is invisible to readers (an orphan, removable by vacuum).
 */
import { randomUUID } from 'node:crypto';
import * as arrow from 'apache-arrow';
import { CorruptDataError, ValidationError } from '../errors.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { AddFile, PartitionValues } from './actions.js';
import { deltaTypeOf, toArrowSchema, type DeltaField } from './delta-schema.js';
import { tableKey } from './log-files.js';
import { decodeParquet, encodeParquet } from './parquet-io.js';
import { constantData, parsePartitionValue, partitionFolder, serializePartitionValue } from './partitions.js';
import { computeStats, type FileStats } from './stats.js';

/** What a data-file operation needs to know about the table (a Snapshot satisfies it). */
export interface TableLayout {
  tablePath: string;
  fields: DeltaField[];
  partitionColumns: string[];
}

export interface WriteDataFileOptions {
  dataChange?: boolean;
  /** Written into the `add` action (Delta file tags), e.g. Lamina's offset ranges. */
  tags?: Record<string, string>;
}

export async function writeDataFile(store: ObjectStore, layout: TableLayout, table: arrow.Table, options: WriteDataFileOptions = {}): Promise<AddFile> {
  checkColumns(layout, table);
  const partitionValues = uniformPartitionValues(layout, table);
  const dataFields = layout.fields.filter((f) => !layout.partitionColumns.includes(f.name));
  const fileTable = conform(table, dataFields);
  return putParquetFile(store, layout, await encodeParquet(fileTable), partitionValues, computeStats(fileTable, dataFields), options);
}

/**
 * Puts Parquet bytes (Lamina's own, or a batch engine's) into the table's partition folder and returns
 * the file's `add` action. Not yet part of the table: commit the `add` to publish it.
 */
export async function putParquetFile(store: ObjectStore, layout: TableLayout, bytes: Uint8Array, partitionValues: PartitionValues, stats: FileStats, options: WriteDataFileOptions = {}): Promise<AddFile> {
  const relative = `${partitionFolder(layout.partitionColumns, partitionValues)}part-${randomUUID()}.zstd.parquet`;
  await store.put(tableKey(layout.tablePath, relative), bytes);
  return {
    path: encodeURI(relative),
    partitionValues,
    size: bytes.length,
    modificationTime: Date.now(),
    dataChange: options.dataChange ?? true,
    stats: JSON.stringify(stats),
    ...(options.tags ? { tags: options.tags } : {}),
  };
}

/** A data file's rows as the table's schema has them; `columns`: only those (in table order). */
export async function readDataFile(store: ObjectStore, layout: TableLayout, add: AddFile, options: { columns?: readonly string[] } = {}): Promise<arrow.Table> {
  if (add.deletionVector) throw new ValidationError(`file ${add.path} has a deletion vector; Lamina cannot read tables with deletion vectors`);
  const key = dataFileKey(layout.tablePath, add.path);
  const { columns } = options;
  const unknown = columns?.filter((c) => !layout.fields.some((f) => f.name === c)) ?? [];
  if (unknown.length > 0) throw new ValidationError(`table ${layout.tablePath} has no column ${unknown.join(', ')}`);
  const fields = columns ? layout.fields.filter((f) => columns.includes(f.name)) : layout.fields;
  const fileColumns = columns ? fields.filter((f) => !layout.partitionColumns.includes(f.name)).map((f) => f.name) : undefined;
  const file = await decodeParquet(await store.get(key), key, { columns: fileColumns });
  const schema = toArrowSchema(fields);
  if (file.numRows === 0) return new arrow.Table(schema);
  // Per column: where its data comes from. A constant (partition value, or null for a column added
  // after the file was written: Delta schema evolution) is made once, as long as the longest batch.
  const longest = file.batches.reduce((most, b) => Math.max(most, b.numRows), 0);
  const sources = fields.map((field, i): { constant: arrow.Data } | { column: number } => {
    const type = schema.fields[i]!.type;
    if (layout.partitionColumns.includes(field.name)) return { constant: constantData(type, parsePartitionValue(field, add.partitionValues[field.name]), longest) };
    const column = file.schema.fields.findIndex((f) => f.name === field.name);
    if (column < 0) return { constant: constantData(type, null, longest) };
    const inFile = file.schema.fields[column]!.type;
    if (!arrow.util.compareTypes(inFile, type)) throw new CorruptDataError(`${key}: column "${field.name}" is ${inFile} in the file but ${field.type} (${type}) in the table schema`);
    return { column };
  });
  // Batch by batch, each the file's own slice: a Table made of whole-file columns (a constant column
  // against the reader's 1,024-row batches) re-slices every column to common chunk boundaries, which
  // took 3.5 s for a 1.2 M-row date and held the speed layer's event loop that long.
  const batches = file.batches.map((batch) =>
    recordBatchOf(schema, batch.numRows, sources.map((source) => ('constant' in source ? source.constant.slice(0, batch.numRows) : batch.data.children[source.column]!))),
  );
  return new arrow.Table(schema, batches);
}

/** The store key of a data file: `add.path` is relative to the table root and URI-encoded. */
export function dataFileKey(tablePath: string, path: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('/')) {
    throw new ValidationError(`data file path ${path} is absolute; Lamina reads only table-relative paths`);
  }
  return tableKey(tablePath, decodeURIComponent(path));
}

function checkColumns(layout: TableLayout, table: arrow.Table): void {
  const problems: string[] = [];
  const names = new Set(table.schema.fields.map((f) => f.name));
  for (const field of layout.fields) {
    const actual = table.schema.fields.find((f) => f.name === field.name);
    if (!actual) {
      problems.push(`missing column "${field.name}" (${field.type})`);
      continue;
    }
    let actualType: string;
    try {
      actualType = deltaTypeOf(actual);
    } catch (error) {
      problems.push((error as Error).message);
      continue;
    }
    if (actualType !== field.type) problems.push(`column "${field.name}" is ${actualType} (${actual.type}) but the table has ${field.type}`);
    else if (!field.nullable && table.getChild(field.name)!.nullCount > 0) problems.push(`column "${field.name}" is NOT NULL but holds nulls`);
    names.delete(field.name);
  }
  for (const extra of names) problems.push(`column "${extra}" is not in the table schema`);
  if (problems.length > 0) {
    throw new ValidationError(`rows do not match the schema of table ${layout.tablePath}: ${problems.join('; ')}`, problems);
  }
}

function uniformPartitionValues(layout: TableLayout, table: arrow.Table): PartitionValues {
  const values: PartitionValues = {};
  for (const name of layout.partitionColumns) {
    const field = layout.fields.find((f) => f.name === name)!;
    const column = table.getChild(name)!;
    const firstValue: unknown = table.numRows > 0 ? column.get(0) : null;
    const first = serializePartitionValue(field, firstValue);
    for (let i = 1; i < table.numRows; i++) {
      // The raw value first: serializing each row (a date formatted per row) cost more than the check.
      const value: unknown = column.get(i);
      if (value !== firstValue && serializePartitionValue(field, value) !== first) {
        throw new ValidationError(`one data file holds one partition, but column "${name}" has several values in these rows; split the rows by ${layout.partitionColumns.join(', ')} first`);
      }
    }
    values[name] = first;
  }
  return values;
}

/** Reorders columns to `fields` and stamps the table's schema (nullability, exact types) onto them. */
function conform(table: arrow.Table, fields: DeltaField[]): arrow.Table {
  const schema = toArrowSchema(fields);
  if (table.numRows === 0) return new arrow.Table(schema);
  const selected = table.select(fields.map((f) => f.name));
  const batches = selected.batches.map((batch) => recordBatchOf(schema, batch.numRows, fields.map((f) => batch.getChild(f.name)!.data[0]!)));
  return new arrow.Table(schema, batches);
}

/** A record batch of `schema` over these column chunks (one Data each, `length` rows). */
function recordBatchOf(schema: arrow.Schema, length: number, children: arrow.Data[]): arrow.RecordBatch {
  return new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length, nullCount: 0, children }));
}
