/**
 * Events from files, for `lamina backfill`: JSON lines (one event per line, as POST /v1/events takes
 * them) and Parquet (one event per row). Read in batches, each event with where it came from, so a
 * rejected one is reported by file and line (or row).
 *
 * Parquet rows: `id` (or `_id`), `type` (or the importer's default type), `ts` (or `_ts`: a timestamp,
 * epoch milliseconds or ISO text), optional `key` (or `_key`); the data is a `data` column (JSON text
 * or a struct) or else every other column, a raw table's flattened `a__b` columns back at their
 * paths and its `_extra` (undeclared fields, JSON) merged in — so a raw table exported from the lake
 * imports as it is. Other columns starting with `_` (log positions) are ignored.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { ValidationError, columnOf, decodeParquet, type LaminaConfig } from '@lamina/shared';

export interface SourcedEvent {
  /** What was read: an event object, or — for a line that is not JSON — undefined (see `problem`). */
  raw: unknown;
  /** "line 12" or "row 12" (1-based). */
  where: string;
  /** Why the line could not even be read as an event. */
  problem?: string;
}

export interface EventFileOptions {
  batchSize: number;
  /** The type of rows without a `type` column (a raw table's export). */
  defaultType?: string;
}

export function eventFileFormat(path: string): 'jsonl' | 'parquet' {
  if (/\.parquet$/i.test(path)) return 'parquet';
  if (/\.(jsonl|ndjson|json)$/i.test(path)) return 'jsonl';
  throw new ValidationError(`${path}: unknown file type; backfill reads JSON lines (.jsonl, .ndjson, .json) and Parquet (.parquet)`);
}

export async function* readEventFile(path: string, config: LaminaConfig, options: EventFileOptions): AsyncGenerator<SourcedEvent[]> {
  if (eventFileFormat(path) === 'parquet') yield* parquetEvents(path, config, options);
  else yield* jsonLines(path, options);
}

async function* jsonLines(path: string, options: EventFileOptions): AsyncGenerator<SourcedEvent[]> {
  let batch: SourcedEvent[] = [];
  let line = 0;
  for await (const text of createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    try {
      batch.push({ raw: JSON.parse(text), where: `line ${line}` });
    } catch (error) {
      batch.push({ raw: undefined, where: `line ${line}`, problem: `not JSON: ${(error as Error).message}` });
    }
    if (batch.length >= options.batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

async function* parquetEvents(path: string, config: LaminaConfig, options: EventFileOptions): AsyncGenerator<SourcedEvent[]> {
  const table = await decodeParquet(await readFile(path), path);
  const names = table.schema.fields.map((f) => f.name);
  const column = (...candidates: string[]) => {
    const name = candidates.find((c) => names.includes(c));
    return name === undefined ? undefined : table.getChild(name)!;
  };
  const id = column('id', '_id');
  const type = column('type');
  const ts = column('ts', '_ts');
  const key = column('key', '_key');
  const data = column('data');
  const extra = column('_extra');
  if (!id || !ts) throw new ValidationError(`${path}: a Parquet file of events needs an id (or _id) and a ts (or _ts) column; it has ${names.join(', ')}`);
  if (!type && options.defaultType === undefined) throw new ValidationError(`${path}: no type column; say which event type its rows are (--type <name>)`);
  const own = new Set(['id', '_id', 'type', 'ts', '_ts', 'key', '_key', 'data', '_extra']);
  const fieldColumns = names.filter((n) => !own.has(n) && !n.startsWith('_')).map((n) => ({ name: n, vector: table.getChild(n)! }));
  for (let start = 0; start < table.numRows; start += options.batchSize) {
    const batch: SourcedEvent[] = [];
    for (let i = start; i < Math.min(table.numRows, start + options.batchSize); i++) {
      const eventType = type ? plain(type.get(i)) : options.defaultType;
      const paths = pathsByColumn(config, typeof eventType === 'string' ? eventType : undefined);
      let fields: Record<string, unknown>;
      if (data) {
        const value = data.get(i);
        fields = typeof value === 'string' ? (JSON.parse(value) as Record<string, unknown>) : (plain(value) as Record<string, unknown>);
      } else {
        fields = extra && typeof extra.get(i) === 'string' ? (JSON.parse(extra.get(i) as string) as Record<string, unknown>) : {};
        for (const { name, vector } of fieldColumns) {
          const value = plain(vector.get(i));
          if (value !== null && value !== undefined) setPath(fields, paths.get(name) ?? name, value);
        }
      }
      const keyValue = key ? plain(key.get(i)) : null;
      batch.push({
        raw: { id: plain(id.get(i)), type: eventType, ts: plain(ts.get(i)), ...(keyValue === null || keyValue === undefined ? {} : { key: keyValue }), data: fields },
        where: `row ${i + 1}`,
      });
    }
    yield batch;
  }
}

/** Column name -> field path for a type's declared fields (raw tables flatten `a.b` to `a__b`). */
function pathsByColumn(config: LaminaConfig, type: string | undefined): Map<string, string> {
  const fields = type === undefined ? undefined : config.eventTypes[type]?.fields;
  return new Map(Object.keys(fields ?? {}).map((path) => [columnOf(path), path]));
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let at = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof at[part] !== 'object' || at[part] === null) at[part] = {};
    at = at[part] as Record<string, unknown>;
  }
  at[parts.at(-1)!] = value;
}

/** Arrow values as JSON-like ones: bigints as numbers, structs as objects. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function' && !(value instanceof Date)) {
    return (value as { toJSON(): unknown }).toJSON();
  }
  return value;
}

