/**
 * A raw table: the valid events of one event type, one typed column per declared field (nested paths
 * flattened to a__b), plus Lamina's own columns, all starting with `_`:
 *   _id, _ts (event time), _date (its UTC date; the partition column), _key, _epoch, _partition,
 *   _offset (the log position), _log_ts (when the log accepted it), _schema_version (the schema
 *   version it was validated against) and _extra (undeclared data fields, as JSON; null when none).
 * Field columns are nullable (optional fields, and fields added by a later schema version: old files
 * lack them and read as null, which views turn into the field's default).
 */
import * as arrow from 'apache-arrow';
import type { FieldType } from '../config/schema.js';
import type { SchemaField } from '../events/event-schema.js';
import type { LaminaEvent } from '../events/event.js';
import { columnOf, readPath } from '../events/field-paths.js';
import { dateDayColumn, float64Column, int64Column, timestampMicrosColumn, utf8Column } from './arrow-columns.js';

export const RAW_PARTITION_COLUMNS = ['_date'];
const DAY_MS = 86_400_000;

const ownColumns = (): arrow.Field[] => [
  new arrow.Field('_id', new arrow.Utf8(), false),
  new arrow.Field('_ts', new arrow.TimestampMicrosecond('UTC'), false),
  new arrow.Field('_date', new arrow.DateDay(), false),
  new arrow.Field('_key', new arrow.Utf8(), true),
  new arrow.Field('_epoch', new arrow.Int32(), false),
  new arrow.Field('_partition', new arrow.Int32(), false),
  new arrow.Field('_offset', new arrow.Int64(), false),
  new arrow.Field('_log_ts', new arrow.TimestampMicrosecond('UTC'), false),
  new arrow.Field('_schema_version', new arrow.Int32(), false),
  new arrow.Field('_extra', new arrow.Utf8(), true),
];

export function arrowTypeOfField(type: FieldType): arrow.DataType {
  switch (type) {
    case 'string': return new arrow.Utf8();
    case 'number': return new arrow.Float64();
    case 'integer': return new arrow.Int64();
    case 'boolean': return new arrow.Bool();
    case 'timestamp': return new arrow.TimestampMicrosecond('UTC');
  }
}

/** The table schema for the given data columns (every field any schema version declared). */
export function rawTableSchema(columns: readonly SchemaField[]): arrow.Schema {
  return new arrow.Schema([...ownColumns(), ...columns.map((f) => new arrow.Field(columnOf(f.path), arrowTypeOfField(f.type), true))]);
}

/** The UTC date (days since the epoch) of an event time. */
export function epochDay(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

export interface RawRowPosition {
  epoch: number;
  partition: number;
  offset: number;
  logTime: number;
}

/**
 * Collects the rows of one flush column by column, split by event date (one data file each), so
 * that no per-row object outlives the call and every column becomes one Arrow vector.
 */
export class RawRowsBuilder {
  private readonly byDay = new Map<number, Columns>();
  private readonly declared: Declared;

  constructor(private readonly columns: readonly SchemaField[], private readonly schemaVersion: number) {
    const paths = columns.map((c) => c.path);
    this.declared = { paths: new Set(paths), parents: new Set(paths.flatMap((p) => p.split('.').slice(0, -1).map((_, i, a) => a.slice(0, i + 1).join('.')))) };
  }

  add(event: LaminaEvent, at: RawRowPosition): void {
    const day = epochDay(event.ts);
    let cols = this.byDay.get(day);
    if (!cols) this.byDay.set(day, (cols = new Columns(this.columns, this.schemaVersion)));
    cols.push(event, at, this.columns, this.declared);
  }

  get size(): number {
    let n = 0;
    for (const c of this.byDay.values()) n += c.rows;
    return n;
  }

  /** One Arrow table per event date (epoch day). */
  *tables(): Generator<{ day: number; table: arrow.Table; partitions: Map<number, number> }> {
    for (const [day, cols] of this.byDay) yield { day, table: cols.toTable(day, this.columns), partitions: cols.rowsByPartition };
  }
}

class Columns {
  rows = 0;
  readonly rowsByPartition = new Map<number, number>();
  private readonly id: string[] = [];
  private readonly ts: number[] = [];
  private readonly key: (string | null)[] = [];
  private readonly epoch: number[] = [];
  private readonly partition: number[] = [];
  private readonly offset: number[] = [];
  private readonly logTs: number[] = [];
  private readonly extra: (string | null)[] = [];
  private readonly fields: unknown[][];

  constructor(columns: readonly SchemaField[], private readonly schemaVersion: number) {
    this.fields = columns.map(() => []);
  }

  push(event: LaminaEvent, at: RawRowPosition, columns: readonly SchemaField[], declared: Declared): void {
    this.id.push(event.id);
    this.ts.push(event.ts);
    this.key.push(event.key ?? null);
    this.epoch.push(at.epoch);
    this.partition.push(at.partition);
    this.offset.push(at.offset);
    this.logTs.push(at.logTime);
    this.rowsByPartition.set(at.partition, (this.rowsByPartition.get(at.partition) ?? 0) + 1);
    for (let i = 0; i < columns.length; i++) {
      const f = columns[i]!;
      const v = readPath(event.data, f.path);
      this.fields[i]!.push(v === undefined || v === null ? null : v);
    }
    this.extra.push(undeclared(event.data, declared));
    this.rows++;
  }

  toTable(day: number, columns: readonly SchemaField[]): arrow.Table {
    const n = this.rows;
    const vectors: Record<string, arrow.Vector> = {
      _id: utf8Column(this.id),
      _ts: timestampMicrosColumn(this.ts),
      _date: dateDayColumn(n, day),
      _key: utf8Column(this.key),
      _epoch: arrow.makeVector(Int32Array.from(this.epoch)),
      _partition: arrow.makeVector(Int32Array.from(this.partition)),
      _offset: int64Column(this.offset),
      _log_ts: timestampMicrosColumn(this.logTs),
      _schema_version: arrow.makeVector(new Int32Array(n).fill(this.schemaVersion)),
      _extra: utf8Column(this.extra),
    };
    columns.forEach((f, i) => (vectors[columnOf(f.path)] = fieldColumn(f.type, this.fields[i]!)));
    return new arrow.Table(vectors);
  }
}

/** A declared field's column from its validated values (numbers for integer and timestamp fields: epoch ms). */
function fieldColumn(type: FieldType, values: unknown[]): arrow.Vector {
  switch (type) {
    case 'string': return utf8Column(values as (string | null)[]);
    case 'number': return float64Column(values as (number | null)[]);
    case 'integer': return int64Column(values as (number | null)[]);
    case 'timestamp': return timestampMicrosColumn(values as (number | null)[]);
    case 'boolean': return arrow.vectorFromArray(values, arrowTypeOfField(type));
  }
}

/** Declared field paths, and the paths of the objects that hold nested ones. */
interface Declared {
  paths: ReadonlySet<string>;
  parents: ReadonlySet<string>;
}

/** The data fields no column holds, as JSON (null when there are none): nothing a producer sent is dropped. */
function undeclared(data: Record<string, unknown>, declared: Declared): string | null {
  const rest = pick(data, '', declared);
  return rest === undefined ? null : JSON.stringify(rest);
}

function pick(value: Record<string, unknown>, prefix: string, declared: Declared): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  for (const k in value) {
    const v = value[k];
    const path = prefix + k;
    if (declared.paths.has(path)) continue;
    let kept: unknown = v;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && declared.parents.has(path)) {
      kept = pick(v as Record<string, unknown>, `${path}.`, declared);
      if (kept === undefined) continue;
    }
    (out ??= {})[k] = kept;
  }
  return out;
}
