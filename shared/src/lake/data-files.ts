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
import { arrowTypeOf, deltaTypeOf, type DeltaField } from './delta-schema.js';
import { tableKey } from './log-files.js';
import { decodeParquet, encodeParquet } from './parquet-io.js';
import { constantColumn, parsePartitionValue, partitionFolder, serializePartitionValue } from './partitions.js';
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

export async function readDataFile(store: ObjectStore, layout: TableLayout, add: AddFile): Promise<arrow.Table> {
  if (add.deletionVector) throw new ValidationError(`file ${add.path} has a deletion vector; Lamina cannot read tables with deletion vectors`);
  const key = dataFileKey(layout.tablePath, add.path);
  const file = await decodeParquet(await store.get(key), key);
  const columns: Record<string, arrow.Vector> = {};
  for (const field of layout.fields) {
    const type = arrowTypeOf(field.type);
    if (layout.partitionColumns.includes(field.name)) {
      columns[field.name] = constantColumn(type, parsePartitionValue(field, add.partitionValues[field.name]), file.numRows);
      continue;
    }
    const column = file.getChild(field.name);
    if (!column) {
      // Columns added to the schema after this file was written read as null (Delta schema evolution).
      columns[field.name] = constantColumn(type, null, file.numRows);
    } else if (!arrow.util.compareTypes(column.type, type)) {
      throw new CorruptDataError(`${key}: column "${field.name}" is ${column.type} in the file but ${field.type} (${type}) in the table schema`);
    } else {
      columns[field.name] = column;
    }
  }
  return conform(new arrow.Table(columns), layout.fields);
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
  const schema = new arrow.Schema(fields.map((f) => new arrow.Field(f.name, arrowTypeOf(f.type), f.nullable)));
  if (table.numRows === 0) return new arrow.Table(schema);
  const selected = table.select(fields.map((f) => f.name));
  const batches = selected.batches.map((batch) => {
    const children = fields.map((f) => batch.getChild(f.name)!.data[0]!);
    const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length: batch.numRows, nullCount: 0, children });
    return new arrow.RecordBatch(schema, data);
  });
  return new arrow.Table(schema, batches);
}
