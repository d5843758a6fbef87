/**
 * Parquet through parquet-wasm: a table past one row group is written and read a row group at a time,
 * so the WebAssembly memory (which never shrinks) holds one row group's worth, not the file's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { decodeParquet, encodeParquet } from '@lamina/shared';

const ROWS = 400_000;

function table(rows: number): arrow.Table {
  return arrow.tableFromArrays({
    n: Float64Array.from({ length: rows }, (_, i) => i * 1.5),
    url: Array.from({ length: rows }, (_, i) => `/page/${i % 997}`),
  });
}

test('a large table round-trips through row groups of 131,072 rows, in order', async () => {
  const bytes = await encodeParquet(table(ROWS));
  const file = await pw.ParquetFile.fromFile(new Blob([bytes as Uint8Array<ArrayBuffer>]));
  try {
    assert.equal(file.metadata().numRowGroups(), Math.ceil(ROWS / 131_072));
  } finally {
    file.free();
  }
  const back = await decodeParquet(bytes, 'test');
  assert.equal(back.numRows, ROWS);
  for (const i of [0, 131_071, 131_072, 262_144, ROWS - 1]) {
    assert.equal(back.getChild('n')!.get(i), i * 1.5);
    assert.equal(back.getChild('url')!.get(i), `/page/${i % 997}`);
  }
});

test('a small table is one row group and reads back the same', async () => {
  const back = await decodeParquet(await encodeParquet(table(1000)), 'test');
  assert.deepEqual(back.getChild('url')!.toArray().slice(0, 3), ['/page/0', '/page/1', '/page/2']);
  assert.equal(back.numRows, 1000);
});

test('the WebAssembly memory grows by about a row group, not by the file: a 2 M-row table after a warm-up', async () => {
  await decodeParquet(await encodeParquet(table(300_000)), 'warm-up');
  const before = pw.wasmMemory().buffer.byteLength;
  const big = table(2_000_000);
  const bytes = await encodeParquet(big);
  await decodeParquet(bytes, 'big');
  const grown = pw.wasmMemory().buffer.byteLength - before;
  // Whole, the file's Arrow copy alone is ~30 MB and the writer held it twice; a row group is ~2 MB.
  assert.ok(grown < 16 * 2 ** 20, `WebAssembly memory grew by ${(grown / 2 ** 20).toFixed(1)} MB for a ${(bytes.length / 2 ** 20).toFixed(1)} MB file`);
});
