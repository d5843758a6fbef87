/**
 * The Parquet layout of a classic (V1 spec) checkpoint, PROTOCOL.md "Checkpoint Schema": one row per
 * action, one nullable struct column per action type (`txn`, `add`, `remove`, `metaData`, `protocol`),
 * exactly one of them set in each row. String maps are Parquet MAPs, string arrays LISTs, `add.stats`
 * stays a JSON string (Lamina writes neither `stats_parsed` nor `partitionValues_parsed`, which the
 * protocol requires only with `delta.checkpoint.writeStatsAsStruct=true`).
 *
 * All fields are nullable, as Spark writes them; readers treat missing columns as null, so the reader
 * below also accepts the richer files of Spark and delta-rs (deletionVector, baseRowId, … are kept only
 * where Lamina must notice them).
 */
import * as arrow from 'apache-arrow';
import { CorruptDataError, ValidationError } from '../errors.js';
import { checkAction, type Action, type AddFile, type Metadata, type Protocol, type RemoveFile, type Txn } from './actions.js';

const nullable = <T extends arrow.DataType>(name: string, type: T) => new arrow.Field(name, type, true);
const str = () => new arrow.Utf8();
const long = () => new arrow.Int64();
const stringMap = () =>
  new arrow.Map_<arrow.Utf8, arrow.Utf8>(new arrow.Field('key_value', new arrow.Struct<{ key: arrow.Utf8; value: arrow.Utf8 }>([new arrow.Field('key', str(), false), nullable('value', str())]), false));
const stringList = () => new arrow.List(nullable('element', str()));

const CHECKPOINT_SCHEMA = new arrow.Schema([
  nullable('txn', new arrow.Struct([nullable('appId', str()), nullable('version', long()), nullable('lastUpdated', long())])),
  nullable('add', new arrow.Struct([
    nullable('path', str()),
    nullable('partitionValues', stringMap()),
    nullable('size', long()),
    nullable('modificationTime', long()),
    nullable('dataChange', new arrow.Bool()),
    nullable('stats', str()),
    nullable('tags', stringMap()),
  ])),
  nullable('remove', new arrow.Struct([
    nullable('path', str()),
    nullable('deletionTimestamp', long()),
    nullable('dataChange', new arrow.Bool()),
    nullable('extendedFileMetadata', new arrow.Bool()),
    nullable('partitionValues', stringMap()),
    nullable('size', long()),
  ])),
  nullable('metaData', new arrow.Struct([
    nullable('id', str()),
    nullable('name', str()),
    nullable('description', str()),
    nullable('format', new arrow.Struct([nullable('provider', str()), nullable('options', stringMap())])),
    nullable('schemaString', str()),
    nullable('partitionColumns', stringList()),
    nullable('configuration', stringMap()),
    nullable('createdTime', long()),
  ])),
  nullable('protocol', new arrow.Struct([
    nullable('minReaderVersion', new arrow.Int32()),
    nullable('minWriterVersion', new arrow.Int32()),
    nullable('readerFeatures', stringList()),
    nullable('writerFeatures', stringList()),
  ])),
]);

type Row = Record<string, unknown>;
const big = (n: number | null | undefined) => (n == null ? null : BigInt(Math.trunc(n)));
const toMap = (record: Record<string, string | null> | null | undefined) => (record == null ? null : new Map(Object.entries(record)));

/** Checkpoint rows for already-reconciled actions (commitInfo and unknown actions are not allowed). */
export function checkpointTable(actions: readonly Action[]): arrow.Table {
  const builders = CHECKPOINT_SCHEMA.fields.map((f) => arrow.makeBuilder({ type: f.type, nullValues: [null, undefined] }));
  const column = new Map(CHECKPOINT_SCHEMA.fields.map((f, i) => [f.name, i]));
  for (const action of actions) {
    const [kind, value] = toRow(action);
    const target = column.get(kind)!;
    builders.forEach((b, i) => b.append(i === target ? value : null));
  }
  const children = builders.map((b) => b.finish().flush());
  const data = arrow.makeData({ type: new arrow.Struct(CHECKPOINT_SCHEMA.fields), length: actions.length, nullCount: 0, children });
  return new arrow.Table(CHECKPOINT_SCHEMA, new arrow.RecordBatch(CHECKPOINT_SCHEMA, data));
}

function toRow(action: Action): [string, Row] {
  if ('txn' in action) {
    const t = action.txn;
    return ['txn', { appId: t.appId, version: big(t.version), lastUpdated: big(t.lastUpdated) }];
  }
  if ('add' in action) {
    const a = action.add;
    return ['add', { path: a.path, partitionValues: toMap(a.partitionValues), size: big(a.size), modificationTime: big(a.modificationTime), dataChange: a.dataChange, stats: a.stats ?? null, tags: toMap(a.tags) }];
  }
  if ('remove' in action) {
    // Checkpoint removes are VACUUM tombstones: the protocol leaves out stats and tags.
    const r = action.remove;
    return ['remove', { path: r.path, deletionTimestamp: big(r.deletionTimestamp), dataChange: r.dataChange, extendedFileMetadata: r.extendedFileMetadata ?? null, partitionValues: toMap(r.partitionValues), size: big(r.size) }];
  }
  if ('metaData' in action) {
    const m = action.metaData;
    return ['metaData', {
      id: m.id, name: m.name ?? null, description: m.description ?? null,
      format: { provider: m.format?.provider ?? 'parquet', options: toMap(m.format?.options ?? {}) },
      schemaString: m.schemaString, partitionColumns: m.partitionColumns, configuration: toMap(m.configuration), createdTime: big(m.createdTime),
    }];
  }
  if ('protocol' in action) {
    // Feature lists must be null unless the protocol is reader v3 / writer v7 (PROTOCOL.md).
    const p = action.protocol;
    return ['protocol', { minReaderVersion: p.minReaderVersion, minWriterVersion: p.minWriterVersion, readerFeatures: p.readerFeatures ?? null, writerFeatures: p.writerFeatures ?? null }];
  }
  throw new ValidationError(`a checkpoint holds only txn, add, remove, metaData and protocol actions, not ${Object.keys(action).join(', ')}`);
}

/**
 * The actions of a classic checkpoint read back (Lamina's or another engine's). Columns Lamina does
 * not interpret are ignored, like unknown actions in JSON commits; V2 checkpoints that move files
 * into sidecars are refused, since Lamina would silently miss those files.
 */
export function checkpointActions(table: arrow.Table, source: string): Action[] {
  for (const v2 of ['sidecar', 'checkpointMetadata']) {
    const col = table.getChild(v2);
    if (col && col.nullCount < col.length) {
      throw new ValidationError(`${source} is a V2 checkpoint (it has ${v2} rows); Lamina reads classic V1 checkpoints only`);
    }
  }
  const readers: [arrow.Vector | null, (row: Row, where: string) => Action][] = [
    [table.getChild('txn'), readTxn],
    // Tombstones before adds: should a file show up as both, replay keeps it live rather than lose it.
    [table.getChild('remove'), readRemove],
    [table.getChild('add'), readAdd],
    [table.getChild('metaData'), readMetadata],
    [table.getChild('protocol'), readProtocol],
  ];
  const actions: Action[] = [];
  for (const [vector, read] of readers) {
    if (!vector) continue;
    const rowAt = structRows(vector);
    for (let i = 0; i < vector.length; i++) {
      const row = rowAt(i);
      if (row === null) continue;
      const where = `${source} row ${i}`;
      const action = read(row, where);
      checkAction(action, where);
      actions.push(action);
    }
  }
  return actions;
}

/**
 * Row i of a struct column as a plain object of its fields (null where the struct is null), string
 * maps already as records. Reading child columns directly, and maps through their offsets, is several
 * times faster than arrow's StructRow and MapRow proxies on checkpoints of many files.
 */
function structRows(vector: arrow.Vector): (i: number) => Row | null {
  const children = (vector.type as arrow.Struct).children.map((f) => {
    const child = vector.getChild(f.name)!;
    if (!arrow.DataType.isMap(f.type)) return [f.name, (i: number) => child.get(i)] as const;
    const records = mapRecords(child);
    return [f.name, (i: number) => records[i]] as const;
  });
  return (i) => {
    if (!vector.isValid(i)) return null;
    const row: Row = {};
    for (const [name, get] of children) row[name] = get(i);
    return row;
  };
}

function mapRecords(vector: arrow.Vector): (Record<string, string | null> | null)[] {
  const out: (Record<string, string | null> | null)[] = [];
  for (const data of vector.data) {
    const entries = data.children[0]!;
    const keys = arrow.makeVector(entries.children[0]!);
    const values = arrow.makeVector(entries.children[1]!);
    const offsets = data.valueOffsets;
    for (let j = 0; j < data.length; j++) {
      if (!data.getValid(j)) {
        out.push(null);
        continue;
      }
      const record: Record<string, string | null> = {};
      for (let k = offsets[j]!; k < offsets[j + 1]!; k++) record[String(keys.get(k))] = (values.get(k) as string | null) ?? null;
      out.push(record);
    }
  }
  return out;
}

function num(value: unknown, where: string): number | undefined {
  if (value == null) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new CorruptDataError(`${where}: ${String(value)} is not an integer Lamina can hold exactly`);
  return n;
}

function strings(value: unknown): string[] | undefined {
  return value == null ? undefined : [...(value as Iterable<string | null>)].filter((s): s is string => s != null);
}

/** Top-level maps arrive as records (structRows); maps nested deeper (metaData.format.options) as MapRows. */
function stringRecord(value: unknown): Record<string, string | null> | undefined {
  if (value == null) return undefined;
  if (Object.getPrototypeOf(value) === Object.prototype) return value as Record<string, string | null>;
  const out: Record<string, string | null> = {};
  for (const [k, v] of value as Iterable<[string, string | null]>) out[k] = v ?? null;
  return out;
}

/** Copies the defined entries only, so a checkpointed action equals the JSON one it came from. */
function defined<T extends object>(fields: T): T {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as T;
}

function readTxn(row: Row, where: string): Action {
  const txn = defined<Txn>({ appId: row.appId as string, version: num(row.version, where)!, lastUpdated: num(row.lastUpdated, where) });
  return { txn };
}

function readAdd(row: Row, where: string): Action {
  // Hot path (one call per live file): optional fields are set only when present, without defined().
  const add: AddFile = {
    path: row.path as string,
    partitionValues: stringRecord(row.partitionValues) ?? {},
    size: num(row.size, where)!,
    modificationTime: num(row.modificationTime, where) ?? 0,
    dataChange: row.dataChange === true,
  };
  if (row.stats != null) add.stats = row.stats as string;
  if (row.tags != null) add.tags = stringRecord(row.tags) as Record<string, string>;
  // Kept so readDataFile refuses the file instead of returning deleted rows.
  if (row.deletionVector != null) add.deletionVector = row.deletionVector;
  return { add };
}

function readRemove(row: Row, where: string): Action {
  const remove = defined<RemoveFile>({
    path: row.path as string,
    deletionTimestamp: num(row.deletionTimestamp, where),
    dataChange: row.dataChange === true,
    extendedFileMetadata: (row.extendedFileMetadata as boolean | null) ?? undefined,
    partitionValues: stringRecord(row.partitionValues),
    size: num(row.size, where),
  });
  return { remove };
}

function readMetadata(row: Row, where: string): Action {
  const format = row.format as Row | null;
  const metaData: Metadata = {
    id: row.id as string,
    name: (row.name as string | null) ?? null,
    description: (row.description as string | null) ?? null,
    format: { provider: (format?.provider as string | null) ?? 'parquet', options: (stringRecord(format?.options) ?? {}) as Record<string, string> },
    schemaString: row.schemaString as string,
    partitionColumns: strings(row.partitionColumns) ?? [],
    configuration: (stringRecord(row.configuration) ?? {}) as Record<string, string>,
    createdTime: num(row.createdTime, where) ?? null,
  };
  return { metaData };
}

function readProtocol(row: Row, where: string): Action {
  const protocol = defined<Protocol>({
    minReaderVersion: num(row.minReaderVersion, where)!,
    minWriterVersion: num(row.minWriterVersion, where)!,
    readerFeatures: strings(row.readerFeatures),
    writerFeatures: strings(row.writerFeatures),
  });
  return { protocol };
}
