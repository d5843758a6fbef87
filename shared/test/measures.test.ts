// Monoid laws for every measure: one-by-one folds, columnar folds and merges of arbitrary splits in
// arbitrary order give byte-identical encodings; encodings round-trip; the identity is neutral.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  avgMeasure,
  countMeasure,
  distinctMeasure,
  maxMeasure,
  measureFor,
  minMeasure,
  quantileMeasure,
  sumMeasure,
  type AvgState,
  type Measure,
} from '../src/measures/index.js';
import { ConfigError, CorruptDataError } from '../src/errors.js';

const RUNS = { numRuns: 100 };

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** A tiny deterministic PRNG so one fast-check integer drives the whole split/merge plan. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function foldOneByOne<S>(m: Measure<S>, values: readonly unknown[]): S {
  let s = m.identity();
  for (const v of values) s = m.add(s, v);
  return s;
}

/**
 * Cuts `values` into random chunks, folds each (by add or addColumn, at random), then merges random
 * pairs of the pool (random grouping and order) until one state is left.
 */
function foldSplitMerged<S>(m: Measure<S>, values: readonly unknown[], seed: number): S {
  const random = rng(seed);
  const pool: S[] = [];
  let start = 0;
  while (start < values.length) {
    const end = Math.min(values.length, start + 1 + Math.floor(random() * 8));
    const chunk = values.slice(start, end);
    pool.push(random() < 0.5 ? m.addColumn(m.identity(), chunk) : foldOneByOne(m, chunk));
    start = end;
  }
  const extraIdentities = Math.floor(random() * 3);
  for (let i = 0; i < extraIdentities; i++) pool.push(m.identity());
  if (pool.length === 0) return m.identity();
  while (pool.length > 1) {
    const i = Math.floor(random() * pool.length);
    const [a] = pool.splice(i, 1);
    const j = Math.floor(random() * pool.length);
    const before = hex(m.encode(a!));
    pool[j] = m.merge(pool[j]!, a!);
    assert.equal(hex(m.encode(a!)), before, 'merge must leave `other` untouched');
  }
  return pool[0]!;
}

const maybeMissing = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null | undefined> =>
  fc.oneof({ weight: 8, arbitrary: arb }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constant(undefined) });

const integers = fc.array(maybeMissing(fc.integer({ min: -1_000_000, max: 1_000_000 })), { maxLength: 60 });
const anyDoubles = fc.array(maybeMissing(fc.double()), { maxLength: 60 });
const finiteDoubles = fc.array(maybeMissing(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 })), {
  maxLength: 60,
});
const distinctValues = fc.array(
  maybeMissing(fc.oneof(fc.string({ maxLength: 6 }), fc.integer({ min: -20, max: 20 }), fc.boolean(), fc.double())),
  { maxLength: 80 },
);

/** Exact-encoding laws: the measure's bytes may not depend on order or grouping at all. */
function exactLaws<S>(name: string, m: Measure<S>, values: fc.Arbitrary<unknown[]>): void {
  describe(`${name}: monoid laws (exact bytes)`, () => {
    test('fold one by one = addColumn = merge of arbitrary splits in arbitrary order', () => {
      fc.assert(
        fc.property(values, fc.nat(), (vs, seed) => {
          const expected = hex(m.encode(foldOneByOne(m, vs)));
          assert.equal(hex(m.encode(m.addColumn(m.identity(), vs))), expected);
          assert.equal(hex(m.encode(foldSplitMerged(m, vs, seed))), expected);
        }),
        RUNS,
      );
    });

    test('encode/decode round-trips bytes and result', () => {
      fc.assert(
        fc.property(values, (vs) => {
          const s = foldOneByOne(m, vs);
          const bytes = m.encode(s);
          const back = m.decode(bytes);
          assert.equal(hex(m.encode(back)), hex(bytes));
          assert.deepEqual(m.result(back), m.result(s));
          // decoded states are live: folding more into them matches folding into the original
          assert.equal(hex(m.encode(m.addColumn(back, vs))), hex(m.encode(m.addColumn(s, vs))));
        }),
        RUNS,
      );
    });

    test('identity is neutral on both sides', () => {
      fc.assert(
        fc.property(values, (vs) => {
          const expected = hex(m.encode(foldOneByOne(m, vs)));
          assert.equal(hex(m.encode(m.merge(m.identity(), foldOneByOne(m, vs)))), expected);
          assert.equal(hex(m.encode(m.merge(foldOneByOne(m, vs), m.identity()))), expected);
          assert.equal(hex(m.encode(m.decode(m.encode(m.identity())))), hex(m.encode(m.identity())));
        }),
        RUNS,
      );
    });
  });
}

exactLaws('count', countMeasure, anyDoubles);
exactLaws('sum (integers)', sumMeasure, integers);
exactLaws('min', minMeasure, anyDoubles);
exactLaws('max', maxMeasure, anyDoubles);
exactLaws('avg (integers)', avgMeasure, integers);
exactLaws('distinct', distinctMeasure, distinctValues);
exactLaws('quantile', quantileMeasure(0.95), anyDoubles);

describe('float sums: equal up to rounding whatever the order', () => {
  const magnitude = (vs: unknown[]): number => vs.reduce<number>((a, v) => a + (typeof v === 'number' ? Math.abs(v) : 0), 0);
  const close = (a: number, b: number, scale: number): boolean => Math.abs(a - b) <= 1e-9 * scale;

  test('sum', () => {
    fc.assert(
      fc.property(finiteDoubles, fc.nat(), (vs, seed) => {
        const one = foldOneByOne(sumMeasure, vs);
        assert.equal(hex(sumMeasure.encode(sumMeasure.addColumn(0, vs))), hex(sumMeasure.encode(one)));
        const merged = sumMeasure.decode(sumMeasure.encode(foldSplitMerged(sumMeasure, vs, seed)));
        assert.ok(close(merged, one, magnitude(vs)), `${merged} vs ${one}`);
      }),
      RUNS,
    );
  });

  test('avg', () => {
    fc.assert(
      fc.property(finiteDoubles, fc.nat(), (vs, seed) => {
        const one: AvgState = foldOneByOne(avgMeasure, vs);
        assert.equal(hex(avgMeasure.encode(avgMeasure.addColumn(avgMeasure.identity(), vs))), hex(avgMeasure.encode(one)));
        const merged = avgMeasure.decode(avgMeasure.encode(foldSplitMerged(avgMeasure, vs, seed)));
        assert.equal(merged.count, one.count);
        assert.ok(close(merged.sum, one.sum, magnitude(vs)), `${merged.sum} vs ${one.sum}`);
      }),
      RUNS,
    );
  });
});

describe('arithmetic results are exact on integers', () => {
  test('count, sum, min, max, avg against brute force', () => {
    fc.assert(
      fc.property(integers, (vs) => {
        const nums = vs.filter((v): v is number => typeof v === 'number');
        assert.equal(countMeasure.result(countMeasure.addColumn(0, vs)), vs.length);
        assert.equal(sumMeasure.result(foldOneByOne(sumMeasure, vs)), nums.reduce((a, b) => a + b, 0));
        assert.equal(minMeasure.result(foldOneByOne(minMeasure, vs)), nums.length ? Math.min(...nums) : null);
        assert.equal(maxMeasure.result(foldOneByOne(maxMeasure, vs)), nums.length ? Math.max(...nums) : null);
        const avg = avgMeasure.result(foldOneByOne(avgMeasure, vs));
        assert.equal(avg, nums.length ? nums.reduce((a, b) => a + b, 0) / nums.length : null);
      }),
      RUNS,
    );
  });

  test('count counts events, missing values included; the others skip missing and non-finite values', () => {
    const vs = [3, null, undefined, Number.NaN, Infinity, -Infinity, 'seven', true, 5n, -2];
    assert.equal(countMeasure.result(foldOneByOne(countMeasure, vs)), 10);
    assert.equal(countMeasure.result(countMeasure.addColumn(7, vs)), 17);
    assert.equal(sumMeasure.result(foldOneByOne(sumMeasure, vs)), 6);
    assert.equal(minMeasure.result(foldOneByOne(minMeasure, vs)), -2);
    assert.equal(maxMeasure.result(foldOneByOne(maxMeasure, vs)), 5);
    assert.equal(avgMeasure.result(foldOneByOne(avgMeasure, vs)), 2);
    assert.equal(quantileMeasure(0).result(foldOneByOne(quantileMeasure(0), vs))! < 0, true);
  });

  test('empty states: count and sum give 0, min/max/avg/quantile give null', () => {
    assert.equal(countMeasure.result(countMeasure.identity()), 0);
    assert.equal(sumMeasure.result(sumMeasure.identity()), 0);
    assert.equal(minMeasure.result(minMeasure.identity()), null);
    assert.equal(maxMeasure.result(maxMeasure.identity()), null);
    assert.equal(avgMeasure.result(avgMeasure.identity()), null);
    assert.equal(quantileMeasure(0.5).result(quantileMeasure(0.5).identity()), null);
    assert.equal(distinctMeasure.result(distinctMeasure.identity()), 0);
    assert.equal(minMeasure.result(minMeasure.addColumn(null, [null, undefined, Number.NaN])), null);
  });

  test('min/max order -0 below 0 whatever the order', () => {
    assert.ok(Object.is(minMeasure.result(foldOneByOne(minMeasure, [0, -0])), -0));
    assert.ok(Object.is(minMeasure.result(foldOneByOne(minMeasure, [-0, 0])), -0));
    assert.ok(Object.is(maxMeasure.result(foldOneByOne(maxMeasure, [-0, 0])), 0));
    assert.ok(Object.is(maxMeasure.result(foldOneByOne(maxMeasure, [0, -0])), 0));
  });

  test('counts beyond 2^32 encode and decode exactly', () => {
    const n = 2 ** 53 - 1;
    assert.equal(countMeasure.decode(countMeasure.encode(n)), n);
    assert.equal(avgMeasure.decode(avgMeasure.encode({ sum: 1.5, count: 2 ** 40 + 3 })).count, 2 ** 40 + 3);
  });
});

describe('measureFor and bad input', () => {
  test('maps every spec kind to its measure', () => {
    assert.equal(measureFor({ kind: 'count' }), countMeasure);
    assert.equal(measureFor({ kind: 'sum', field: 'x' }), sumMeasure);
    assert.equal(measureFor({ kind: 'min', field: 'x' }), minMeasure);
    assert.equal(measureFor({ kind: 'max', field: 'x' }), maxMeasure);
    assert.equal(measureFor({ kind: 'avg', field: 'x' }), avgMeasure);
    assert.equal(measureFor({ kind: 'distinct', field: 'x' }), distinctMeasure);
    const p90 = measureFor({ kind: 'quantile', field: 'x', q: 0.9 });
    assert.equal(p90.kind, 'quantile');
    const s = p90.addColumn(p90.identity(), Array.from({ length: 101 }, (_, i) => i));
    assert.ok(Math.abs(p90.result(s)! - 90) <= 0.9);
    assert.throws(() => measureFor({ kind: 'median' } as never), ConfigError);
  });

  test('quantile q outside [0, 1] is a config error', () => {
    for (const q of [-0.1, 1.01, Number.NaN]) assert.throws(() => quantileMeasure(q), ConfigError);
  });

  test('decode rejects bytes of another measure, truncated bytes and trailing bytes', () => {
    const measures: Measure[] = [countMeasure, sumMeasure, minMeasure, maxMeasure, avgMeasure, distinctMeasure, quantileMeasure(0.5)];
    const samples = measures.map((m) => m.encode(m.addColumn(m.identity(), [1, 2, 3])));
    measures.forEach((m, i) => {
      assert.throws(() => m.decode(new Uint8Array(0)), CorruptDataError);
      assert.throws(() => m.decode(Uint8Array.of(...samples[i]!, 0)), CorruptDataError);
      assert.throws(() => m.decode(samples[i]!.subarray(0, samples[i]!.length - 1)), CorruptDataError);
      samples.forEach((other, j) => {
        if (j !== i) assert.throws(() => m.decode(other), CorruptDataError, `${m.kind} decoding ${measures[j]!.kind}`);
      });
    });
  });
});
