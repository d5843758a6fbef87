/**
 * Arrow <-> Parquet bytes through parquet-wasm (arrow-rs), ZSTD-compressed. The writer embeds the Arrow
 * schema, so Lamina reads back exactly the types it wrote; other engines read the Parquet logical types
 * (TIMESTAMP(MICROS, UTC), DATE, INT(16) …).
 */
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { CorruptDataError } from '../errors.js';

const CODECS = { zstd: pw.Compression.ZSTD, snappy: pw.Compression.SNAPPY } as const;

/** ZSTD unless told otherwise (checkpoints use SNAPPY, the codec every Delta reader has). */
export function encodeParquet(table: arrow.Table, options: { compression?: keyof typeof CODECS } = {}): Uint8Array {
  const props = new pw.WriterPropertiesBuilder().setCompression(CODECS[options.compression ?? 'zstd']).build();
  return pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), props);
}

export function decodeParquet(bytes: Uint8Array, source: string): arrow.Table {
  try {
    return arrow.tableFromIPC(pw.readParquet(bytes).intoIPCStream());
  } catch (cause) {
    throw new CorruptDataError(`${source} is not a readable Parquet file (${String(cause)})`, { cause });
  }
}
