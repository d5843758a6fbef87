/**
 * Arrow schema <-> Delta schema JSON (PROTOCOL.md "Schema Serialization Format").
 *
 * Lamina supports the flat primitive types below. Timestamps are Delta `timestamp`: microseconds since
 * the epoch, UTC, i.e. Arrow Timestamp(MICROSECOND, 'UTC'), written to Parquet as
 * TIMESTAMP(MICROS, isAdjustedToUTC=true). Tables that keep event time as epoch milliseconds should
 * use a `long` column (e.g. `ts_ms`), which needs no conversion at all.
 */
import * as arrow from 'apache-arrow';
import { ValidationError } from '../errors.js';

export type DeltaPrimitive = 'string' | 'long' | 'integer' | 'short' | 'byte' | 'float' | 'double' | 'boolean' | 'binary' | 'date' | 'timestamp';

export interface DeltaField {
  name: string;
  type: DeltaPrimitive;
  nullable: boolean;
  metadata: Record<string, unknown>;
}

export interface DeltaStruct {
  type: 'struct';
  fields: DeltaField[];
}

const HOW_TO =
  'supported Arrow types: Utf8, Int64/32/16/8, Float64/32, Bool, Binary, DateDay, Timestamp(MICROSECOND, "UTC")';

/** The Delta type of an Arrow field; ValidationError for types Lamina does not write. */
export function deltaTypeOf(field: arrow.Field): DeltaPrimitive {
  const t = field.type;
  const unsupported = (why: string) => new ValidationError(`column "${field.name}" has Arrow type ${t}: ${why}; ${HOW_TO}`);
  if (arrow.DataType.isUtf8(t)) return 'string';
  if (arrow.DataType.isBinary(t)) return 'binary';
  if (arrow.DataType.isBool(t)) return 'boolean';
  if (arrow.DataType.isInt(t)) {
    if (!t.isSigned) throw unsupported('Delta has no unsigned integers (use the next wider signed type)');
    return ({ 8: 'byte', 16: 'short', 32: 'integer', 64: 'long' } as const)[t.bitWidth as 8 | 16 | 32 | 64];
  }
  if (arrow.DataType.isFloat(t)) {
    if (t.precision === arrow.Precision.DOUBLE) return 'double';
    if (t.precision === arrow.Precision.SINGLE) return 'float';
    throw unsupported('Delta has no half-precision floats');
  }
  if (arrow.DataType.isDate(t)) {
    if (t.unit === arrow.DateUnit.DAY) return 'date';
    throw unsupported('Delta dates are days (use DateDay)');
  }
  if (arrow.DataType.isTimestamp(t)) {
    if (t.unit === arrow.TimeUnit.MICROSECOND && t.timezone === 'UTC') return 'timestamp';
    throw unsupported('Delta timestamps are microseconds in UTC (use new arrow.TimestampMicrosecond("UTC"), or an Int64 epoch-millis column)');
  }
  throw unsupported('not a supported primitive type');
}

export function arrowTypeOf(type: DeltaPrimitive): arrow.DataType {
  switch (type) {
    case 'string': return new arrow.Utf8();
    case 'binary': return new arrow.Binary();
    case 'boolean': return new arrow.Bool();
    case 'byte': return new arrow.Int8();
    case 'short': return new arrow.Int16();
    case 'integer': return new arrow.Int32();
    case 'long': return new arrow.Int64();
    case 'float': return new arrow.Float32();
    case 'double': return new arrow.Float64();
    case 'date': return new arrow.DateDay();
    case 'timestamp': return new arrow.TimestampMicrosecond('UTC');
  }
}

const SUPPORTED = new Set<string>(['string', 'long', 'integer', 'short', 'byte', 'float', 'double', 'boolean', 'binary', 'date', 'timestamp']);
/** Characters Spark refuses in Parquet column names (without column mapping). */
const BAD_NAME_CHARS = /[ ,;{}()\n\t=]/;

export function toDeltaStruct(schema: arrow.Schema): DeltaStruct {
  if (schema.fields.length === 0) throw new ValidationError('a Delta table needs at least one column');
  const seen = new Set<string>();
  const fields = schema.fields.map((f): DeltaField => {
    if (!f.name || BAD_NAME_CHARS.test(f.name)) {
      throw new ValidationError(`column name ${JSON.stringify(f.name)} is not allowed in a Delta table (non-empty, none of ' ,;{}()=', tab, newline)`);
    }
    // Delta (like Spark) resolves column names case-insensitively.
    const folded = f.name.toLowerCase();
    if (seen.has(folded)) throw new ValidationError(`column "${f.name}" appears twice (Delta column names are case-insensitive)`);
    seen.add(folded);
    return { name: f.name, type: deltaTypeOf(f), nullable: f.nullable, metadata: {} };
  });
  return { type: 'struct', fields };
}

export function parseDeltaStruct(schemaString: string, tableLabel: string): DeltaStruct {
  let parsed: unknown;
  try {
    parsed = JSON.parse(schemaString);
  } catch (cause) {
    throw new ValidationError(`table ${tableLabel}: metaData.schemaString is not valid JSON (${String(cause)})`);
  }
  const struct = parsed as DeltaStruct;
  if (struct?.type !== 'struct' || !Array.isArray(struct.fields)) throw new ValidationError(`table ${tableLabel}: schemaString is not a Delta struct type`);
  for (const f of struct.fields) {
    if (typeof f.type !== 'string' || !SUPPORTED.has(f.type)) {
      throw new ValidationError(`table ${tableLabel}: column "${f.name}" has Delta type ${JSON.stringify(f.type)}, which Lamina cannot read (${[...SUPPORTED].join(', ')})`);
    }
    f.metadata ??= {};
  }
  return struct;
}

/** The Arrow schema of these table columns (exact types and nullability), in their order. */
export function toArrowSchema(fields: readonly DeltaField[]): arrow.Schema {
  return new arrow.Schema(fields.map((f) => new arrow.Field(f.name, arrowTypeOf(f.type), f.nullable)));
}

/** Human-readable differences between two table schemas (empty when they match). */
export function schemaDifferences(expected: DeltaStruct, actual: DeltaStruct): string[] {
  const describe = (f: DeltaField) => `${f.name}: ${f.type}${f.nullable ? '' : ' not null'}`;
  const a = expected.fields.map(describe);
  const b = actual.fields.map(describe);
  if (a.join('|') === b.join('|')) return [];
  return [`expected (${a.join(', ')})`, `found (${b.join(', ')})`];
}
