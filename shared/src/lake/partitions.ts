/**
 * Partition values: their Delta string form (PROTOCOL.md "Partition Value Serialization"), the
 * Hive-style folder a partitioned file lives in, and the constant column a reader re-attaches
 * (partition columns are not stored inside the Parquet files).
 */
import * as arrow from 'apache-arrow';
import { ValidationError } from '../errors.js';
import type { PartitionValues } from './actions.js';
import type { DeltaField, DeltaPrimitive } from './delta-schema.js';

const PARTITIONABLE = new Set<DeltaPrimitive>(['string', 'long', 'integer', 'short', 'byte', 'boolean', 'date']);
const NULL_FOLDER = '__HIVE_DEFAULT_PARTITION__';

export function assertPartitionable(field: DeltaField): void {
  if (!PARTITIONABLE.has(field.type)) {
    throw new ValidationError(`column "${field.name}" (${field.type}) cannot be a partition column; use one of ${[...PARTITIONABLE].join(', ')}`);
  }
}

/** A column value (as apache-arrow's Vector.get returns it) in Delta's partition string form. */
export function serializePartitionValue(field: DeltaField, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  switch (field.type) {
    case 'string': {
      const s = String(value);
      // Delta reads '' as null, so a real empty string would come back as null.
      if (s === '') throw new ValidationError(`partition column "${field.name}" holds an empty string, which Delta cannot tell from null; use null or a non-empty value`);
      return s;
    }
    case 'date':
      return new Date(Number(value)).toISOString().slice(0, 10);
    default:
      return String(value);
  }
}

/** The value to put in an Arrow column for a Delta partition string. */
export function parsePartitionValue(field: DeltaField, value: string | null | undefined): unknown {
  if (value === null || value === undefined || value === '') return null;
  switch (field.type) {
    case 'string': return value;
    case 'long': return BigInt(value);
    case 'integer':
    case 'short':
    case 'byte': return Number(value);
    case 'boolean': return value.toLowerCase() === 'true';
    case 'date': return new Date(`${value.slice(0, 10)}T00:00:00Z`);
    default: throw new ValidationError(`partition column "${field.name}" has unsupported type ${field.type}`);
  }
}

/** One chunk of `length` copies of a value (a batch's child must be one Data). */
export function constantData(type: arrow.DataType, value: unknown, length: number): arrow.Data {
  const builder = arrow.makeBuilder({ type, nullValues: [null] });
  for (let i = 0; i < length; i++) builder.append(value);
  return builder.finish().flush();
}

/** Characters Hive escapes in partition folder names (as %XX), so a value cannot forge a path. */
function escapePathName(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    const escape = code < 0x20 || code === 0x7f || '"#%\'*/:=?\\{[]^'.includes(ch);
    out += escape ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : ch;
  }
  return out;
}

/** `col=value/…/` for the partition columns in table order ('' for unpartitioned tables). */
export function partitionFolder(partitionColumns: string[], values: PartitionValues): string {
  return partitionColumns.map((c) => `${escapePathName(c)}=${values[c] === null || values[c] === undefined ? NULL_FOLDER : escapePathName(values[c]!)}/`).join('');
}
