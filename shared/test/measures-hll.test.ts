// HyperLogLog (distinct): accuracy, canonical encoding across the sparse/dense boundaries, strict decode.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { distinctMeasure, HLL_REGISTERS, HLL_SPARSE_ENCODING_MAX, HyperLogLog, MEASURE_FORMAT } from '../src/measures/index.js';
import { CorruptDataError } from '../src/errors.js';

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
    test(`${n} distinct values: within 3 standard errors, for strings, integers and floats`, () => {
      for (const gen of [(i: number) => `user-${i}`, (i: number) => 7_000_000 + i * 13, (i: number) => i / 7]) {
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

  test('golden encoding: the hash and layout are frozen (a change breaks every stored sketch)', () => {
    assert.equal(hex(sketchOf(['a', 'b', 'c']).encode()), '060002cf04810c0b01690e');
  });
});

describe('canonical encoding across representations', () => {
  // Values chosen to cross the in-memory sparse limit and the sparse-encoding limit (4095 registers).
  for (const n of [900, 1500, 5000, 6500, 40_000]) {
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
      const nonZero = sketchOf(values).nonZeroRegisters;
      assert.equal(forward[1], nonZero > HLL_SPARSE_ENCODING_MAX ? 1 : 0);
      assert.equal(forward.length, nonZero > HLL_SPARSE_ENCODING_MAX ? 2 + 12288 : 2 + 3 * nonZero);
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

  test('rejects unknown representation, unsorted or repeated registers, bad ranks, short dense data', () => {
    fail(Uint8Array.of(MEASURE_FORMAT.hyperloglog, 2));
    const entry = (register: number, rank: number): number[] => {
      const v = (register << 6) | rank;
      return [v & 255, (v >>> 8) & 255, v >>> 16];
    };
    fail(Uint8Array.of(MEASURE_FORMAT.hyperloglog, 0, ...entry(5, 1), ...entry(3, 1)));
    fail(Uint8Array.of(MEASURE_FORMAT.hyperloglog, 0, ...entry(5, 1), ...entry(5, 2)));
    fail(Uint8Array.of(MEASURE_FORMAT.hyperloglog, 0, ...entry(5, 0)));
    fail(Uint8Array.of(MEASURE_FORMAT.hyperloglog, 0, ...entry(5, 52)));
    fail(Uint8Array.of(MEASURE_FORMAT.hyperloglog, 1, 0, 0, 0));
    assert.equal(HyperLogLog.decode(Uint8Array.of(MEASURE_FORMAT.hyperloglog, 0, ...entry(3, 1), ...entry(5, 51))).nonZeroRegisters, 2);
  });

  test('rejects a dense encoding that should have been sparse (non-canonical)', () => {
    const bytes = new Uint8Array(2 + 12288);
    bytes[0] = MEASURE_FORMAT.hyperloglog;
    bytes[1] = 1;
    bytes[2] = 1; // register 0 = 1, all others 0
    fail(bytes);
  });
});
