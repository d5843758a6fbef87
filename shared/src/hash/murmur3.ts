/**
 * MurmurHash3 (Austin Appleby, public domain), the x86_32 and x86_128 variants, in pure 32-bit
 * integer arithmetic so every JS engine on every machine gives the same bits. x86_128 is what the
 * distinct (HyperLogLog) measure uses: its first 64 output bits are a 64-bit-quality hash, and it
 * needs no 64-bit multiplication (which JS would have to do with BigInt, far slower).
 *
 * Both functions read `bytes[0..length)` so callers can hash a prefix of a reused buffer.
 * Outputs match the reference C++ (SMHasher) on little-endian machines: the 128-bit digest is
 * the four 32-bit words h1..h4, in that order.
 */

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function block(bytes: Uint8Array, i: number): number {
  return bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
}

/** MurmurHash3_x86_32 of bytes[0..length); returns an unsigned 32-bit integer. */
export function murmur3X86_32(bytes: Uint8Array, length: number = bytes.length, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h1 = seed | 0;
  const nblocks = length >>> 2;
  for (let b = 0; b < nblocks; b++) {
    let k1 = block(bytes, b << 2);
    k1 = Math.imul(rotl(Math.imul(k1, c1), 15), c2);
    h1 ^= k1;
    h1 = (Math.imul(rotl(h1, 13), 5) + 0xe6546b64) | 0;
  }
  const tail = nblocks << 2;
  let k1 = 0;
  switch (length & 3) {
    case 3:
      k1 ^= bytes[tail + 2]! << 16;
    // falls through
    case 2:
      k1 ^= bytes[tail + 1]! << 8;
    // falls through
    case 1:
      k1 ^= bytes[tail]!;
      k1 = Math.imul(rotl(Math.imul(k1, c1), 15), c2);
      h1 ^= k1;
  }
  h1 ^= length;
  return fmix32(h1) >>> 0;
}

/**
 * MurmurHash3_x86_128 of bytes[0..length), written as four unsigned 32-bit words into `out`
 * (no allocation, for hot loops).
 */
export function murmur3X86_128Into(bytes: Uint8Array, length: number, seed: number, out: Uint32Array): void {
  const c1 = 0x239b961b;
  const c2 = 0xab0e9789;
  const c3 = 0x38b34ae5;
  const c4 = 0xa1e38b93;
  let h1 = seed | 0;
  let h2 = h1;
  let h3 = h1;
  let h4 = h1;
  const nblocks = length >>> 4;
  for (let b = 0; b < nblocks; b++) {
    const i = b << 4;
    let k1 = block(bytes, i);
    let k2 = block(bytes, i + 4);
    let k3 = block(bytes, i + 8);
    let k4 = block(bytes, i + 12);

    k1 = Math.imul(rotl(Math.imul(k1, c1), 15), c2);
    h1 ^= k1;
    h1 = (Math.imul((rotl(h1, 19) + h2) | 0, 5) + 0x561ccd1b) | 0;

    k2 = Math.imul(rotl(Math.imul(k2, c2), 16), c3);
    h2 ^= k2;
    h2 = (Math.imul((rotl(h2, 17) + h3) | 0, 5) + 0x0bcaa747) | 0;

    k3 = Math.imul(rotl(Math.imul(k3, c3), 17), c4);
    h3 ^= k3;
    h3 = (Math.imul((rotl(h3, 15) + h4) | 0, 5) + 0x96cd1c35) | 0;

    k4 = Math.imul(rotl(Math.imul(k4, c4), 18), c1);
    h4 ^= k4;
    h4 = (Math.imul((rotl(h4, 13) + h1) | 0, 5) + 0x32ac3b17) | 0;
  }

  const t = nblocks << 4;
  let k1 = 0;
  let k2 = 0;
  let k3 = 0;
  let k4 = 0;
  switch (length & 15) {
    case 15:
      k4 ^= bytes[t + 14]! << 16;
    // falls through
    case 14:
      k4 ^= bytes[t + 13]! << 8;
    // falls through
    case 13:
      k4 ^= bytes[t + 12]!;
      k4 = Math.imul(rotl(Math.imul(k4, c4), 18), c1);
      h4 ^= k4;
    // falls through
    case 12:
      k3 ^= bytes[t + 11]! << 24;
    // falls through
    case 11:
      k3 ^= bytes[t + 10]! << 16;
    // falls through
    case 10:
      k3 ^= bytes[t + 9]! << 8;
    // falls through
    case 9:
      k3 ^= bytes[t + 8]!;
      k3 = Math.imul(rotl(Math.imul(k3, c3), 17), c4);
      h3 ^= k3;
    // falls through
    case 8:
      k2 ^= bytes[t + 7]! << 24;
    // falls through
    case 7:
      k2 ^= bytes[t + 6]! << 16;
    // falls through
    case 6:
      k2 ^= bytes[t + 5]! << 8;
    // falls through
    case 5:
      k2 ^= bytes[t + 4]!;
      k2 = Math.imul(rotl(Math.imul(k2, c2), 16), c3);
      h2 ^= k2;
    // falls through
    case 4:
      k1 ^= bytes[t + 3]! << 24;
    // falls through
    case 3:
      k1 ^= bytes[t + 2]! << 16;
    // falls through
    case 2:
      k1 ^= bytes[t + 1]! << 8;
    // falls through
    case 1:
      k1 ^= bytes[t]!;
      k1 = Math.imul(rotl(Math.imul(k1, c1), 15), c2);
      h1 ^= k1;
  }

  h1 ^= length;
  h2 ^= length;
  h3 ^= length;
  h4 ^= length;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h3 = fmix32(h3);
  h4 = fmix32(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  out[0] = h1;
  out[1] = h2;
  out[2] = h3;
  out[3] = h4;
}

/** MurmurHash3_x86_128 as a fresh 4-word array (convenience; use murmur3X86_128Into in hot loops). */
export function murmur3X86_128(bytes: Uint8Array, seed = 0): Uint32Array {
  const out = new Uint32Array(4);
  murmur3X86_128Into(bytes, bytes.length, seed, out);
  return out;
}
