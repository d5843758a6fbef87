/**
 * Arrow <-> Parquet bytes through parquet-wasm (arrow-rs), ZSTD-compressed. The writer embeds the Arrow
 * schema, so Lamina reads back exactly the types it wrote; other engines read the Parquet logical types
 * (TIMESTAMP(MICROS, UTC), DATE, INT(16) …).
 */
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { CorruptDataError } from '../errors.js';
import { nextTurn } from '../event-loop-turn.js';

const CODECS = { zstd: pw.Compression.ZSTD, snappy: pw.Compression.SNAPPY } as const;
/** Rows per row group: small enough that a reader decodes a bounded slice at a time (see decodeParquet). */
const ROW_GROUP_ROWS = 131_072;

/**
 * ZSTD unless told otherwise (checkpoints use SNAPPY, the codec every Delta reader has). A table past
 * one row group is streamed into the writer a row group at a time: handed over whole, its Arrow copy,
 * the writer's buffers and the file sat in WebAssembly memory at once, and that memory never shrinks
 * (a day's view rewrite left its size behind in the process for good).
 */
export async function encodeParquet(table: arrow.Table, options: { compression?: keyof typeof CODECS } = {}): Promise<Uint8Array> {
  const props = new pw.WriterPropertiesBuilder().setCompression(CODECS[options.compression ?? 'zstd']).setMaxRowGroupSize(ROW_GROUP_ROWS).build();
  if (table.numRows <= ROW_GROUP_ROWS) return pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), props);
  let start = 0;
  let failure: unknown;
  const batches = new ReadableStream<pw.RecordBatch>({
    pull(controller) {
      try {
        if (start >= table.numRows) return controller.close();
        const slice = pw.Table.fromIPCStream(arrow.tableToIPC(table.slice(start, start + ROW_GROUP_ROWS), 'stream'));
        start += ROW_GROUP_ROWS;
        for (const batch of slice.recordBatches()) controller.enqueue(batch);
        slice.free();
      } catch (error) {
        // parquet-wasm's stream writer drops errors after its first batch: keep it to throw below.
        failure = error;
        controller.close();
      }
    },
  });
  const chunks: Uint8Array[] = [];
  const reader = ((await pw.transformParquetStream(batches, props)) as ReadableStream<Uint8Array>).getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(next.value);
  if (failure !== undefined) throw failure;
  const out: Uint8Array = Buffer.concat(chunks);
  // The stream writer ignores failed writes after the first batch: a short file must never pass.
  const written = await rowsInFile(out);
  if (written !== table.numRows) throw new CorruptDataError(`the Parquet writer produced ${written} rows for a table of ${table.numRows}; nothing was stored`);
  return out;
}

/** A Parquet file's reader over its bytes (ranges read as needed) and its footer; free both when done. */
async function openParquet(bytes: Uint8Array): Promise<{ file: pw.ParquetFile; metadata: pw.ParquetMetaData; free(): void }> {
  const file = await pw.ParquetFile.fromFile(new Blob([bytes as Uint8Array<ArrayBuffer>]));
  const metadata = file.metadata();
  return { file, metadata, free: () => (metadata.free(), file.free()) };
}

/** Rows a Parquet file's footer declares. */
async function rowsInFile(bytes: Uint8Array): Promise<number> {
  const parquet = await openParquet(bytes);
  const fileMetadata = parquet.metadata.fileMetadata();
  try {
    return fileMetadata.numRows();
  } finally {
    fileMetadata.free();
    parquet.free();
  }
}

/** Of these names, those the file has (asked order); undefined (read all) when it has none of them. */
function presentColumns(file: pw.ParquetFile, names: readonly string[]): string[] | undefined {
  const schema = file.schema();
  try {
    const present = names.filter((name) => {
      try {
        return schema.indexOf(name) >= 0;
      } catch {
        return false; // parquet-wasm throws for a name the schema lacks
      }
    });
    return present.length > 0 ? present : undefined;
  } finally {
    schema.free();
  }
}

/**
 * Decoded one row group at a time: parquet-wasm's memory holds a row group's columns and their Arrow
 * copy, not the whole file's, and WebAssembly memory never shrinks — decoding a 1.5 M-row view date
 * at once left 130 MB of it behind in every serving process. `columns`: only those of the file's
 * columns (names it lacks are left out, as a column added to a table after the file was written).
 */
export async function decodeParquet(bytes: Uint8Array, source: string, options: { columns?: readonly string[] } = {}): Promise<arrow.Table> {
  let parquet: Awaited<ReturnType<typeof openParquet>> | undefined;
  try {
    parquet = await openParquet(bytes);
    const columns = options.columns ? presentColumns(parquet.file, options.columns) : undefined;
    const batches: arrow.RecordBatch[] = [];
    for (let g = 0; g < parquet.metadata.numRowGroups(); g++) {
      // A turn between row groups: the reads resolve as microtasks, so a file of ten row groups held the
      // event loop for its whole decode (740 ms for a 1.2 M-row date, under a speed instance's queries).
      if (g > 0) await nextTurn();
      batches.push(...arrow.tableFromIPC((await parquet.file.read({ rowGroups: [g], ...(columns ? { columns } : {}) })).intoIPCStream()).batches);
    }
    // No batches (an empty file): read whole, which keeps the schema (a table of no batches has none).
    return batches.length > 0 ? new arrow.Table(batches) : arrow.tableFromIPC(pw.readParquet(bytes, columns ? { columns } : undefined).intoIPCStream());
  } catch (cause) {
    throw new CorruptDataError(`${source} is not a readable Parquet file (${String(cause)})`, { cause });
  } finally {
    parquet?.free();
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
