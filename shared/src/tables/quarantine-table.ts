/** Messages found on the topic that are not valid events, kept with the reason: never dropped silently. */
import * as arrow from 'apache-arrow';

export const quarantineSchema = new arrow.Schema([
  new arrow.Field('_epoch', new arrow.Int32(), false),
  new arrow.Field('_partition', new arrow.Int32(), false),
  new arrow.Field('_offset', new arrow.Int64(), false),
  new arrow.Field('_log_ts', new arrow.TimestampMicrosecond('UTC'), false),
  new arrow.Field('key', new arrow.Utf8(), true),
  /** The message as UTF-8 text (invalid UTF-8 is replaced; `raw_base64` keeps the exact bytes). */
  new arrow.Field('raw', new arrow.Utf8(), false),
  new arrow.Field('raw_base64', new arrow.Utf8(), false),
  new arrow.Field('reason', new arrow.Utf8(), false),
]);

export interface QuarantineRow {
  epoch: number;
  partition: number;
  offset: number;
  logTime: number;
  key: string | null;
  value: Uint8Array;
  reason: string;
}

const decoder = new TextDecoder();

export function quarantineToArrow(rows: readonly QuarantineRow[]): arrow.Table {
  return new arrow.Table({
    _epoch: arrow.makeVector(Int32Array.from(rows, (r) => r.epoch)),
    _partition: arrow.makeVector(Int32Array.from(rows, (r) => r.partition)),
    _offset: arrow.makeVector(BigInt64Array.from(rows, (r) => BigInt(r.offset))),
    _log_ts: arrow.vectorFromArray(rows.map((r) => r.logTime), new arrow.TimestampMicrosecond('UTC')),
    key: arrow.vectorFromArray(rows.map((r) => r.key), new arrow.Utf8()),
    raw: arrow.vectorFromArray(rows.map((r) => decoder.decode(r.value)), new arrow.Utf8()),
    raw_base64: arrow.vectorFromArray(rows.map((r) => Buffer.from(r.value).toString('base64')), new arrow.Utf8()),
    reason: arrow.vectorFromArray(rows.map((r) => r.reason), new arrow.Utf8()),
  });
}
