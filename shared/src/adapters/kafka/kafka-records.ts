/** Conversions between kafkajs' message shapes and the port's records. */

import type { Batch, KafkaMessage } from 'kafkajs';
import type { LogRecord } from '../../ports/event-log.js';

const EMPTY = new Uint8Array(0);

/** A plain Uint8Array view (no copy) of a Buffer, so records compare equal to what was produced. */
function bytes(buffer: Buffer | null | undefined): Uint8Array {
  if (!buffer) return EMPTY;
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

export function toLogRecord(partition: number, message: KafkaMessage): LogRecord {
  return {
    partition,
    offset: Number(message.offset),
    key: message.key == null ? null : message.key.toString('utf8'),
    value: bytes(message.value),
    timestamp: Number(message.timestamp),
  };
}

/** The offset kafkajs asked the broker for; present on every kafkajs Batch, missing from its typings. */
export function fetchedOffsetOf(batch: Batch): number {
  const fetched = (batch as Batch & { fetchedOffset?: string }).fetchedOffset;
  if (fetched === undefined) throw new Error('kafkajs Batch without fetchedOffset: the pinned kafkajs 2.2.x internals changed; review adapters/kafka');
  return Number(fetched);
}

export function toBuffer(value: Uint8Array | string): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}
