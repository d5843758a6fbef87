// HyperLogLog (distinct): accuracy, canonical encoding across the sparse/dense boundaries, strict decode.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

/** sketch of 'a', 'b', 'c': 0x08, then (register << 6 | rank) big-endian per register, ascending. */
const GOLDEN = '0800cc0404a881092e83';
import { createHash } from 'node:crypto';
import { distinctMeasure, HLL_MAX_RANK, HLL_REGISTERS, HyperLogLog, MEASURE_FORMAT, hllPosition } from '../src/measures/index.js';
import { CorruptDataError } from '../src/errors.js';
import { md5Prefix } from '../src/measures/md5-prefix.js';

const STANDARD_ERROR = 1.04 / Math.sqrt(HLL_REGISTERS); // ≈ 0.81%

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function sketchOf(values: Iterable<unknown>): HyperLogLog {
  const s = distinctMeasure.identity();
  for (const v of values) distinctMeasure.add(s, v);
  return s;
}

function range(from: number, to: number, f: (i: number) => unknown): unknown[] {
  const out: unknown[] = [];
  for (let i = from; i < to; i++) out.push(f(i));
  return out;
}

describe('distinct accuracy', () => {
  for (const n of [10_000, 100_000]) {
    test(`${n} distinct values: within 3 standard errors, for strings and integers`, () => {
      for (const gen of [(i: number) => `user-${i}`, (i: number) => 7_000_000 + i * 13]) {
        const s = distinctMeasure.addColumn(distinctMeasure.identity(), range(0, n, gen));
        const estimate = distinctMeasure.result(s)!;
        assert.ok(Math.abs(estimate - n) <= 3 * STANDARD_ERROR * n, `estimate ${estimate} for ${n}`);
      }
    });
  }

  test('duplicates do not change the state; small sets are counted (almost) exactly', () => {
    const once = sketchOf(range(0, 50, (i) => `k${i}`));
    const thrice = sketchOf([...range(0, 50, (i) => `k${i}`), ...range(0, 50, (i) => `k${i}`), ...range(0, 50, (i) => `k${i}`)]);
    assert.equal(hex(thrice.encode()), hex(once.encode()));
    assert.equal(distinctMeasure.result(sketchOf([])), 0);
    assert.equal(distinctMeasure.result(sketchOf(['only'])), 1);
    assert.ok(Math.abs(distinctMeasure.result(once)! - 50) <= 1);
  });

  test('null and undefined are not values; 7, 7n and "7" are the same value', () => {
    assert.equal(distinctMeasure.result(sketchOf([null, undefined])), 0);
    assert.equal(hex(sketchOf([7]).encode()), hex(sketchOf(['7']).encode()));
    assert.equal(hex(sketchOf([7n]).encode()), hex(sketchOf(['7']).encode()));
    assert.notEqual(hex(sketchOf([7]).encode()), hex(sketchOf([8]).encode()));
  });

  test('md5Prefix equals node:crypto MD5 for any string (every UTF-8 length, block boundaries, lone surrogates)', () => {
    const out = new Int32Array(2);
    const check = (text: string) => {
      md5Prefix(text, out);
      const mine = Buffer.alloc(8);
      mine.writeInt32LE(out[0]!, 0);
      mine.writeInt32LE(out[1]!, 4);
      assert.equal(mine.toString('hex'), createHash('md5').update(text, 'utf8').digest('hex').slice(0, 16), JSON.stringify(text));
    };
    for (let n = 0; n <= 130; n++) check('é'.repeat(n % 3) + 'x'.repeat(n));
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 80 }), fc.string({ maxLength: 2000 })), (text) => check(text)), { numRuns: 2000 });
  });

  test('golden encoding: the hash and layout are frozen (a change breaks every stored sketch)', () => {
    assert.equal(hex(sketchOf(['a', 'b', 'c']).encode()), GOLDEN);
  });

  test('registers follow the MD5 definition of ENGINES.md (what DuckDB and Spark SQL compute)', () => {
    for (const value of ['a', 'ü', '日本', '🎉', '', 'user-42', 12345, true]) {
      const h = createHash('md5').update(String(value), 'utf8').digest('hex');
      const register = Number.parseInt(h.slice(0, 4), 16) >> 2;
      const w = BigInt(`0x${h.slice(4, 16)}`);
      const rank = w === 0n ? HLL_MAX_RANK : (w ^ (w - 1n)).toString(2).split('').filter((b) => b === '1').length;
      assert.deepEqual(hllPosition(value), { register, rank }, `value ${JSON.stringify(value)}`);
    }
  });
});

describe('canonical encoding across representations', () => {
  // Values chosen to cross the in-memory sparse limit and the sparse-encoding limit (4095 registers).
  for (const n of [900, 1500, 5000, 40_000]) {
    test(`${n} values: same bytes for forward, reverse, and merges of differently-sized parts`, () => {
      const values = range(0, n, (i) => `v${i}`);
      const forward = sketchOf(values).encode();
      assert.equal(hex(sketchOf([...values].reverse()).encode()), hex(forward));
      for (const cut of [1, Math.floor(n / 3), n - 1]) {
        const a = sketchOf(values.slice(0, cut));
        const b = sketchOf(values.slice(cut));
        const ab = sketchOf([]);
        ab.merge(a);
        ab.merge(b);
        const ba = sketchOf(values.slice(cut));
        ba.merge(a);
        assert.equal(hex(ab.encode()), hex(forward));
        assert.equal(hex(ba.encode()), hex(forward));
        a.merge(b);
        assert.equal(hex(a.encode()), hex(forward));
      }
      const decoded = HyperLogLog.decode(forward);
      assert.equal(hex(decoded.encode()), hex(forward));
      assert.deepEqual(decoded.registers(), sketchOf(values).registers());
      assert.equal(forward[0], MEASURE_FORMAT.hyperloglog);
      assert.equal(forward.length, 1 + 3 * sketchOf(values).nonZeroRegisters);
    });
  }

  test('merging dense into sparse and sparse into dense agree (property)', () => {
    const big = sketchOf(range(0, 8000, (i) => `big${i}`));
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 5 }), { maxLength: 40 }), (small) => {
        const a = sketchOf(small);
        a.merge(big);
        const b = sketchOf(range(0, 8000, (i) => `big${i}`));
        b.merge(sketchOf(small));
        assert.equal(hex(a.encode()), hex(b.encode()));
        assert.equal(hex(sketchOf([...small, ...range(0, 8000, (i) => `big${i}`)]).encode()), hex(a.encode()));
      }),
      { numRuns: 30 },
    );
  });

  test('a sketch merged into itself is unchanged', () => {
    for (const n of [10, 3000]) {
      const s = sketchOf(range(0, n, (i) => i));
      const before = hex(s.encode());
      s.merge(s);
      assert.equal(hex(s.encode()), before);
    }
  });
});

describe('strict decode', () => {
  const fail = (bytes: Uint8Array): void => void assert.throws(() => HyperLogLog.decode(bytes), CorruptDataError);
  const entry = (register: number, rank: number): number[] => {
    const v = (register << 6) | rank;
    return [v >>> 16, (v >>> 8) & 255, v & 255];
  };

  test('rejects partial entries, unsorted or repeated registers, bad ranks, a wrong format byte', () => {
    fail(Uint8Array.of(MEASURE_FORMAT.hyperloglog, 0, 1));
    fail(Uint8Array.of(MEASURE_FORMAT.hyperloglog, ...entry(5, 1), ...entry(3, 1)));
    fail(Uint8Array.of(MEASURE_FORMAT.hyperloglog, ...entry(5, 1), ...entry(5, 2)));
    fail(Uint8Array.of(MEASURE_FORMAT.hyperloglog, ...entry(5, 0)));
    fail(Uint8Array.of(MEASURE_FORMAT.hyperloglog, ...entry(5, HLL_MAX_RANK + 1)));
    fail(Uint8Array.of(0x06, ...entry(5, 1)));
    const ok = HyperLogLog.decode(Uint8Array.of(MEASURE_FORMAT.hyperloglog, ...entry(3, 1), ...entry(HLL_REGISTERS - 1, HLL_MAX_RANK)));
    assert.equal(ok.nonZeroRegisters, 2);
    assert.equal(HyperLogLog.decode(Uint8Array.of(MEASURE_FORMAT.hyperloglog)).cardinality(), 0);
  });
});

test('mergeEncoded reads a stored state in place: the same registers as decode + merge', () => {
  const a = sketchOf(range(0, 300, (i) => `a${i}`));
  const b = sketchOf(range(0, 5000, (i) => `b${i}`));
  const bytes = new Uint8Array([7, 7, ...b.encode(), 9]);
  const viaMerge = sketchOf(range(0, 300, (i) => `a${i}`));
  viaMerge.merge(HyperLogLog.decode(b.encode()));
  a.mergeEncoded(bytes, 2, bytes.length - 1);
  assert.equal(hex(a.encode()), hex(viaMerge.encode()));
});

test('mergeEncoded of many small overlapping sparse states, between adds, equals one sketch of every value', () => {
  for (const [groups, perGroup] of [[40, 20], [12, 90], [5, 400]] as const) {
    const merged = new HyperLogLog();
    const all = new HyperLogLog();
    for (let g = 0; g < groups; g++) {
      // Overlapping ranges: registers repeat across states, with different ranks.
      const values = range(0, perGroup, (i) => `v${(g * perGroup) / 2 + i}`);
      const bytes = sketchOf(values).encode();
      merged.mergeEncoded(bytes, 0, bytes.length);
      merged.addValue(`extra${g}`);
      for (const v of [...values, `extra${g}`]) all.addValue(v);
    }
    assert.equal(hex(merged.encode()), hex(all.encode()), `${groups} states of ${perGroup}`);
  }
});

test('mergeEncodedRuns (one sort for many stored states) equals merging them one by one', () => {
  const runsOf = (states: Uint8Array[]) => ({ length: states.length, bytes: (k: number) => states[k]!, start: () => 0, end: (k: number) => states[k]!.length });
  for (const [count, size] of [[1, 50], [3, 200], [8, 300], [30, 200]] as const) {
    const states = range(0, count, (g) => sketchOf(range(0, size, (i) => `w${(g as number) * 40 + i}`)).encode()) as Uint8Array[];
    const viaRuns = sketchOf(['seed']);
    viaRuns.mergeEncodedRuns(runsOf(states));
    const oneByOne = sketchOf(['seed']);
    for (const bytes of states) oneByOne.merge(HyperLogLog.decode(bytes));
    assert.equal(hex(viaRuns.encode()), hex(oneByOne.encode()), `${count} runs of ${size}`);
    // Merging other runs into another sketch leaves this one as it was (the merge's buffer is reused).
    const other = sketchOf(['other']);
    other.mergeEncodedRuns(runsOf(range(0, count, (g) => sketchOf(range(0, size, (i) => `x${(g as number) * 40 + i}`)).encode()) as Uint8Array[]));
    assert.equal(hex(viaRuns.encode()), hex(oneByOne.encode()), `${count} runs of ${size}, after another merge`);
    assert.equal(viaRuns.estimate(), oneByOne.estimate());
  }
});
