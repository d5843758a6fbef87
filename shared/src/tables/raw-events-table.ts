/**
 * The master dataset's raw events table: every valid event with its log position. `data` stays a
 * JSON string so the table's schema never changes when producers add fields.
 */
import * as arrow from 'apache-arrow';
import type { LaminaEvent } from '../events/event.js';

export const rawEventsSchema = new arrow.Schema([
  new arrow.Field('id', new arrow.Utf8(), false),
  new arrow.Field('type', new arrow.Utf8(), false),
  new arrow.Field('ts_ms', new arrow.Int64(), false),
  new arrow.Field('key', new arrow.Utf8(), true),
  new arrow.Field('partition', new arrow.Int32(), false),
  new arrow.Field('offset', new arrow.Int64(), false),
  new arrow.Field('log_ts_ms', new arrow.Int64(), false),
  new arrow.Field('data', new arrow.Utf8(), false),
]);

export interface RawEventRow {
  event: LaminaEvent;
  partition: number;
  offset: number;
  logTime: number;
}

export function rawEventsToArrow(rows: readonly RawEventRow[]): arrow.Table {
  return new arrow.Table({
    id: arrow.vectorFromArray(rows.map((r) => r.event.id), new arrow.Utf8()),
    type: arrow.vectorFromArray(rows.map((r) => r.event.type), new arrow.Utf8()),
    ts_ms: arrow.vectorFromArray(BigInt64Array.from(rows, (r) => BigInt(r.event.ts))),
    key: arrow.vectorFromArray(rows.map((r) => r.event.key ?? null), new arrow.Utf8()),
    partition: arrow.vectorFromArray(Int32Array.from(rows, (r) => r.partition)),
    offset: arrow.vectorFromArray(BigInt64Array.from(rows, (r) => BigInt(r.offset))),
    log_ts_ms: arrow.vectorFromArray(BigInt64Array.from(rows, (r) => BigInt(r.logTime))),
    data: arrow.vectorFromArray(rows.map((r) => JSON.stringify(r.event.data)), new arrow.Utf8()),
  });
}

/** Reads the rows back column-wise (far cheaper than row objects from arrow). */
export function* rawEventsFromArrow(table: arrow.Table): Generator<RawEventRow> {
  const col = <T>(name: string) => table.getChild(name) as arrow.Vector | null as unknown as { get(i: number): T } | null;
  const id = col<string>('id')!;
  const type = col<string>('type')!;
  const ts = col<bigint | number>('ts_ms')!;
  const key = col<string | null>('key')!;
  const partition = col<number>('partition')!;
  const offset = col<bigint | number>('offset')!;
  const logTs = col<bigint | number>('log_ts_ms')!;
  const data = col<string>('data')!;
  for (let i = 0; i < table.numRows; i++) {
    const k = key.get(i);
    const event: LaminaEvent = { id: id.get(i), type: type.get(i), ts: Number(ts.get(i)), data: JSON.parse(data.get(i)) as Record<string, unknown> };
    if (k !== null && k !== undefined) event.key = k;
    yield { event, partition: partition.get(i), offset: Number(offset.get(i)), logTime: Number(logTs.get(i)) };
  }
}
