/**
 * HyperLogLog with fixed precision p = 14 (16384 registers, standard error 1.04/sqrt(16384) ≈ 0.81%)
 * over 64-bit hashes. A hash (lo, hi) — the little-endian 64-bit number lo + 2^32·hi — picks register
 * `lo & 0x3fff`; the register keeps the largest rank seen, rank = 1 + trailing zeros of the other
 * 50 bits (51 when they are all zero). Estimator: Ertl's improved raw estimator ("New cardinality
 * estimation algorithms for HyperLogLog sketches", 2017), good over the whole range with no
 * bias tables or thresholds.
 *
 * The state is the set of (register, rank) pairs with rank > 0 — order-independent — and the
 * encoding is a function of that set alone, so any order of adds and merges gives the same bytes:
 *   byte 0: FORMAT.hyperloglog (0x06)
 *   byte 1: 0 = sparse, 1 = dense; sparse exactly when at most 4095 registers are non-zero
 *           (that is where sparse stops being smaller)
 *   sparse: per non-zero register in ascending register order, 3 bytes little-endian of
 *           (register << 6 | rank)
 *   dense:  the 16384 registers packed 6 bits each, 4 registers per 3 bytes little-endian
 *           (r0 | r1 << 6 | r2 << 12 | r3 << 18), 12288 bytes.
 * In memory a Map is used while few registers are set (cheap for the many small groups of a view)
 * and a Uint8Array past MEMORY_SPARSE_MAX; that choice never shows in the encoding.
 */
import { ByteReader, FORMAT } from './bytes.js';

export const HLL_PRECISION = 14;
export const HLL_REGISTERS = 1 << HLL_PRECISION;
const INDEX_MASK = HLL_REGISTERS - 1;
/** Bits of the hash left after the index (q in Ertl's paper); ranks go up to q + 1. */
const Q = 64 - HLL_PRECISION;
const MAX_RANK = Q + 1;
/** Non-zero registers up to which the encoding is sparse (3 bytes each < 12288 bytes dense). */
export const HLL_SPARSE_ENCODING_MAX = 4095;
/** Map entries up to which memory stays sparse; a Map entry costs far more than a dense byte. */
const MEMORY_SPARSE_MAX = 1024;
const DENSE_PACKED_BYTES = (HLL_REGISTERS * 6) / 8;

function trailingZeros(x: number): number {
  return 31 - Math.clz32(x & -x);
}

export class HyperLogLog {
  /** register -> rank for non-zero registers, while sparse; null once dense. */
  private sparse: Map<number, number> | null = new Map();
  private dense: Uint8Array | null = null;
  /** Non-zero registers in `dense`. */
  private denseNonZero = 0;

  /** Folds one 64-bit hash: lo = bits 0..31, hi = bits 32..63. */
  addHash(lo: number, hi: number): void {
    const rest = lo >>> HLL_PRECISION; // 18 bits
    let rank: number;
    if (rest !== 0) rank = trailingZeros(rest) + 1;
    else if (hi !== 0) rank = 32 - HLL_PRECISION + trailingZeros(hi) + 1;
    else rank = MAX_RANK;
    this.raise(lo & INDEX_MASK, rank);
  }

  private raise(register: number, rank: number): void {
    const dense = this.dense;
    if (dense !== null) {
      const old = dense[register]!;
      if (rank > old) {
        if (old === 0) this.denseNonZero++;
        dense[register] = rank;
      }
      return;
    }
    const sparse = this.sparse!;
    const old = sparse.get(register);
    if (old === undefined) {
      sparse.set(register, rank);
      if (sparse.size > MEMORY_SPARSE_MAX) this.toDense();
    } else if (rank > old) {
      sparse.set(register, rank);
    }
  }

  private toDense(): void {
    const dense = new Uint8Array(HLL_REGISTERS);
    for (const [register, rank] of this.sparse!) dense[register] = rank;
    this.denseNonZero = this.sparse!.size;
    this.sparse = null;
    this.dense = dense;
  }

  /** Register-wise max with `other`; `other` is not modified. */
  merge(other: HyperLogLog): void {
    if (other.sparse !== null) {
      for (const [register, rank] of other.sparse) this.raise(register, rank);
      return;
    }
    const from = other.dense!;
    if (this.dense === null) this.toDense();
    const into = this.dense!;
    let nonZero = this.denseNonZero;
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = from[i]!;
      const old = into[i]!;
      if (r > old) {
        if (old === 0) nonZero++;
        into[i] = r;
      }
    }
    this.denseNonZero = nonZero;
  }

  /** Number of non-zero registers. */
  get nonZeroRegisters(): number {
    return this.sparse !== null ? this.sparse.size : this.denseNonZero;
  }

  /** The register values (rank, 0 when unset), in register order; for tests and tools. */
  registers(): Uint8Array {
    if (this.dense !== null) return this.dense.slice();
    const out = new Uint8Array(HLL_REGISTERS);
    for (const [register, rank] of this.sparse!) out[register] = rank;
    return out;
  }

  /** Ertl's improved raw estimator over the register histogram. */
  estimate(): number {
    const m = HLL_REGISTERS;
    const hist = new Float64Array(MAX_RANK + 1);
    if (this.dense !== null) {
      for (let i = 0; i < m; i++) hist[this.dense[i]!]!++;
    } else {
      hist[0] = m - this.sparse!.size;
      for (const rank of this.sparse!.values()) hist[rank]!++;
    }
    let z = m * tau(1 - hist[MAX_RANK]! / m);
    for (let k = Q; k >= 1; k--) z = 0.5 * (z + hist[k]!);
    z += m * sigma(hist[0]! / m);
    return (m * m) / (2 * Math.LN2) / z;
  }

  /** The estimate rounded to an integer (0 for an empty sketch). */
  cardinality(): number {
    return Math.round(this.estimate());
  }

  encode(): Uint8Array {
    const nonZero = this.nonZeroRegisters;
    if (nonZero > HLL_SPARSE_ENCODING_MAX) {
      const regs = this.dense ?? this.registers();
      const out = new Uint8Array(2 + DENSE_PACKED_BYTES);
      out[0] = FORMAT.hyperloglog;
      out[1] = 1;
      for (let i = 0, o = 2; i < HLL_REGISTERS; i += 4, o += 3) {
        const v = regs[i]! | (regs[i + 1]! << 6) | (regs[i + 2]! << 12) | (regs[i + 3]! << 18);
        out[o] = v & 255;
        out[o + 1] = (v >>> 8) & 255;
        out[o + 2] = v >>> 16;
      }
      return out;
    }
    const out = new Uint8Array(2 + 3 * nonZero);
    out[0] = FORMAT.hyperloglog;
    out[1] = 0;
    let o = 2;
    const put = (register: number, rank: number): void => {
      const v = (register << 6) | rank;
      out[o] = v & 255;
      out[o + 1] = (v >>> 8) & 255;
      out[o + 2] = v >>> 16;
      o += 3;
    };
    if (this.dense !== null) {
      const dense = this.dense;
      for (let i = 0; i < HLL_REGISTERS; i++) if (dense[i] !== 0) put(i, dense[i]!);
    } else {
      const registers = [...this.sparse!.keys()].sort((a, b) => a - b);
      for (const r of registers) put(r, this.sparse!.get(r)!);
    }
    return out;
  }

  static decode(bytes: Uint8Array): HyperLogLog {
    const r = new ByteReader(bytes, 'distinct (HyperLogLog)');
    r.header(FORMAT.hyperloglog);
    const kind = r.byte();
    const hll = new HyperLogLog();
    if (kind === 0) {
      if (r.remaining % 3 !== 0) throw r.fail('sparse data is not a whole number of 3-byte entries');
      const n = r.remaining / 3;
      if (n > HLL_SPARSE_ENCODING_MAX) throw r.fail(`sparse encoding with ${n} registers (max ${HLL_SPARSE_ENCODING_MAX})`);
      const data = r.take(r.remaining);
      let previous = -1;
      for (let o = 0; o < data.length; o += 3) {
        const v = data[o]! | (data[o + 1]! << 8) | (data[o + 2]! << 16);
        const register = v >>> 6;
        const rank = v & 63;
        if (register >= HLL_REGISTERS || register <= previous) throw r.fail('sparse registers out of order');
        if (rank === 0 || rank > MAX_RANK) throw r.fail(`rank ${rank} out of range 1..${MAX_RANK}`);
        previous = register;
        hll.raise(register, rank);
      }
    } else if (kind === 1) {
      const data = r.take(DENSE_PACKED_BYTES);
      r.end();
      const dense = new Uint8Array(HLL_REGISTERS);
      let nonZero = 0;
      for (let i = 0, o = 0; i < HLL_REGISTERS; i += 4, o += 3) {
        const v = data[o]! | (data[o + 1]! << 8) | (data[o + 2]! << 16);
        for (let j = 0; j < 4; j++) {
          const rank = (v >>> (6 * j)) & 63;
          if (rank > MAX_RANK) throw r.fail(`rank ${rank} out of range 0..${MAX_RANK}`);
          if (rank !== 0) nonZero++;
          dense[i + j] = rank;
        }
      }
      if (nonZero <= HLL_SPARSE_ENCODING_MAX) throw r.fail(`dense encoding with only ${nonZero} non-zero registers`);
      hll.sparse = null;
      hll.dense = dense;
      hll.denseNonZero = nonZero;
    } else {
      throw r.fail(`unknown representation ${kind}`);
    }
    return hll;
  }
}

/** sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1), Ertl's small-range correction. */
function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  for (;;) {
    x *= x;
    const previous = z;
    z += x * y;
    y += y;
    if (z === previous) return z;
  }
}

/** tau(x) = (1/3)(1 - x - sum_{k>=1} (1 - x^(2^-k))^2 2^-k), Ertl's large-range correction. */
function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    const previous = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
    if (z === previous) return z / 3;
  }
}
