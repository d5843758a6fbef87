import * as zlib from 'node:zlib';

/**
 * CRC-32 (IEEE, the zlib/PNG polynomial) of a byte range. Node's native `zlib.crc32` exists since
 * 20.15 / 22.2; the project supports Node >= 20.10, so older runtimes fall back to a table version
 * that gives identical results (the test suite checks the two agree).
 */
type Crc32 = (data: Uint8Array) => number;

const nativeCrc32 = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

let table: Uint32Array | undefined;

function buildTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

export function crc32Table(data: Uint8Array): number {
  table ??= buildTable();
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export const crc32: Crc32 = nativeCrc32 ? (data) => nativeCrc32(data) >>> 0 : crc32Table;
