/**
 * Arrow <-> Parquet bytes through parquet-wasm (arrow-rs), ZSTD-compressed. The writer embeds the Arrow
 * schema, so Lamina reads back exactly the types it wrote; other engines read the Parquet logical types
 * (TIMESTAMP(MICROS, UTC), DATE, INT(16) …).
 */
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { CorruptDataError } from '../errors.js';

const CODECS = { zstd: pw.Compression.ZSTD, snappy: pw.Compression.SNAPPY } as const;
/** Rows per row group: small enough that a reader decodes a bounded slice at a time (see decodeParquet). */
const ROW_GROUP_ROWS = 131_072;

/** ZSTD unless told otherwise (checkpoints use SNAPPY, the codec every Delta reader has). */
export function encodeParquet(table: arrow.Table, options: { compression?: keyof typeof CODECS } = {}): Uint8Array {
  const props = new pw.WriterPropertiesBuilder().setCompression(CODECS[options.compression ?? 'zstd']).setMaxRowGroupSize(ROW_GROUP_ROWS).build();
  return pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), props);
}

/**
 * Decoded one row group at a time: parquet-wasm's memory holds a row group's columns and their Arrow
 * copy, not the whole file's, and WebAssembly memory never shrinks — decoding a 1.5 M-row view date
 * at once left 130 MB of it behind in every serving process.
 */
export async function decodeParquet(bytes: Uint8Array, source: string): Promise<arrow.Table> {
  let file: pw.ParquetFile | undefined;
  try {
    file = await pw.ParquetFile.fromFile(new Blob([bytes as Uint8Array<ArrayBuffer>]));
    const groups = file.metadata().numRowGroups();
    if (groups === 0) return arrow.tableFromIPC(pw.readParquet(bytes).intoIPCStream());
    const batches: arrow.RecordBatch[] = [];
    for (let g = 0; g < groups; g++) batches.push(...arrow.tableFromIPC((await file.read({ rowGroups: [g] })).intoIPCStream()).batches);
    return new arrow.Table(batches);
  } catch (cause) {
    throw new CorruptDataError(`${source} is not a readable Parquet file (${String(cause)})`, { cause });
  } finally {
    file?.free();
  }
}

/**
 * Bytes of parquet-wasm's WebAssembly memory. It grows to the largest file decoded or encoded so far
 * (the file, its decoded columns and their Arrow copy at once) and never shrinks: part of a process's
 * RSS that the V8 heap figures do not show.
 */
export function parquetWasmBytes(): number {
  return pw.wasmMemory().buffer.byteLength;
}
