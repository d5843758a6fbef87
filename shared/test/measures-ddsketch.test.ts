// DDSketch (quantile): relative accuracy against exact quantiles, the rank rule, exact merges, strict decode.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DDSketch, DDSKETCH_GAMMA, DDSKETCH_MIN_INDEXABLE, DDSKETCH_RELATIVE_ACCURACY, MEASURE_FORMAT, ddsketchBound, ddsketchKey, quantileMeasure } from '../src/measures/index.js';
import { CorruptDataError } from '../src/errors.js';

const QS = [0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1];
// α, plus room for the rounding of the bound table (< 1e-11 relative).
const TOLERANCE = DDSKETCH_RELATIVE_ACCURACY * (1 + 1e-9);

function sketchOf(values: readonly number[]): DDSketch {
  const s = new DDSketch();
  for (const v of values) s.add(v);
  return s;
}

/** The rank rule: the value of rank floor(q·(n−1)) in ascending order. */
function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

function assertWithinAlpha(values: readonly number[], sketch: DDSketch): void {
  const sorted = [...values].sort((a, b) => a - b);
  for (const q of QS) {
    const exact = exactQuantile(sorted, q);
    const estimate = sketch.quantile(q)!;
    // Magnitudes below the smallest indexable value (subnormals among them) count as zero.
    assert.ok(
      Math.abs(estimate - exact) <= TOLERANCE * Math.abs(exact) || (estimate === 0 && Math.abs(exact) < DDSKETCH_MIN_INDEXABLE),
      `q=${q}: estimate ${estimate}, exact ${exact} (n=${values.length})`,
    );
  }
}

describe('quantile accuracy', () => {
  test('within 1% relative of the exact quantile on random data (property)', () => {
    const value = fc.oneof(
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.double({ min: 1e-6, max: 1e-3, noNaN: true }),
      fc.integer({ min: -50, max: 50 }),
      fc.constantFrom(0, -0, 1e300, -1e-300, Number.MAX_VALUE, Number.MIN_VALUE),
    );
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 300 }), (values) => assertWithinAlpha(values, sketchOf(values))),
      { numRuns: 100 },
    );
  });

  test('within 1% on 200k log-normal latencies, also after merging parts', () => {
    let seed = 12345;
    const random = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed + 0.5) / 4294967296;
    };
    const values = Array.from({ length: 200_000 }, () => Math.exp(3 + 1.5 * Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random())));
    const m = quantileMeasure(0.99);
    const parts = [0, 1, 2, 3].map((k) => m.addColumn(m.identity(), values.slice(k * 50_000, (k + 1) * 50_000)));
    const merged = parts.reduce((a, b) => m.merge(a, b), m.identity());
    assertWithinAlpha(values, merged);
    assert.equal(Buffer.from(m.encode(merged)).toString('hex'), Buffer.from(m.encode(m.addColumn(m.identity(), values))).toString('hex'));
    const sorted = [...values].sort((a, b) => a - b);
    assert.ok(Math.abs(m.result(merged)! / exactQuantile(sorted, 0.99) - 1) <= TOLERANCE);
  });

  test('rank rule with negatives and zeros; q = 0 and 1 are (about) the min and max', () => {
    const s = sketchOf([-100, -1, 0, 0, 0, 5, 1000]);
    assert.ok(Math.abs(s.quantile(0)! + 100) <= 1);
    assert.ok(Math.abs(s.quantile(0.17)! + 1) <= 0.01);
    assert.equal(s.quantile(0.34), 0);
    assert.equal(s.quantile(0.5), 0);
    assert.ok(Math.abs(s.quantile(0.84)! - 5) <= 0.05);
    assert.ok(Math.abs(s.quantile(1)! - 1000) <= 10);
    assert.equal(new DDSketch().quantile(0.5), null);
    assert.equal(sketchOf([Number.MAX_VALUE]).quantile(1), Number.MAX_VALUE);
  });
});

describe('merging and encoding', () => {
  test('merge adds counts exactly; a sketch merged into itself doubles', () => {
    const s = sketchOf([1, 2, 2, -3, 0]);
    s.merge(s);
    assert.equal(s.count, 10);
    assert.equal(s.zeroCount, 2);
    assert.equal(Buffer.from(s.encode()).toString('hex'), Buffer.from(sketchOf([1, 2, 2, -3, 0, 1, 2, 2, -3, 0]).encode()).toString('hex'));
  });

  test('golden encoding (format byte, then store, key + 2^23 and count of each bin, big-endian)', () => {
    assert.equal(
      Buffer.from(sketchOf([-2.5, 0, 0, 1, 1, 100]).encode()).toString('hex'),
      '09' + '00' + (2 ** 23 + 46).toString(16) + '0000000000000001' + '01' + '800000' + '0000000000000002' + '02' + '800000' + '0000000000000002' + '02' + (2 ** 23 + 231).toString(16) + '0000000000000001',
    );
  });

  test('strict decode: partial, unsorted or empty bins, an unknown store, a wrong format byte', () => {
    const f = MEASURE_FORMAT.ddsketch;
    const bin = (store: number, key: number, count: number) => [store, ...[16, 8, 0].map((s) => ((key + 2 ** 23) >>> s) & 255), 0, 0, 0, 0, 0, 0, 0, count];
    const fail = (bytes: number[]): void => void assert.throws(() => DDSketch.decode(Uint8Array.from(bytes)), CorruptDataError);
    fail([f, 2, 0]);
    fail([f, ...bin(2, 5, 1), ...bin(2, 3, 1)]);
    fail([f, ...bin(2, 5, 1), ...bin(2, 5, 1)]);
    fail([f, ...bin(2, 5, 0)]);
    fail([f, ...bin(3, 5, 1)]);
    fail([f, ...bin(1, 7, 1)]);
    fail([0x07, ...bin(2, 5, 1)]);
    const ok = DDSketch.decode(Uint8Array.from([f, ...bin(0, 1, 1), ...bin(1, 0, 3), ...bin(2, -2, 1), ...bin(2, 0, 2)]));
    assert.equal(ok.count, 7);
    assert.equal(ok.zeroCount, 3);
    assert.deepEqual([...ok.positive], [[-2, 1], [0, 2]]);
    assert.deepEqual([...ok.negative], [[1, 1]]);
  });
});

describe('bins by exact comparison with the bound table', () => {
  test('a value lies in (bound(k-1), bound(k)]; bounds are powers of γ by one IEEE operation a step', () => {
    assert.equal(ddsketchBound(0), 1);
    assert.equal(ddsketchBound(1), DDSKETCH_GAMMA);
    assert.equal(ddsketchBound(2), DDSKETCH_GAMMA * DDSKETCH_GAMMA);
    assert.equal(ddsketchBound(-1), 1 / DDSKETCH_GAMMA);
    fc.assert(
      fc.property(fc.double({ min: DDSKETCH_MIN_INDEXABLE, max: Number.MAX_VALUE, noNaN: true }), (v) => {
        const k = ddsketchKey(v);
        assert.ok(v > ddsketchBound(k - 1) && v <= ddsketchBound(k), `v=${v} k=${k}`);
      }),
      { numRuns: 2000 },
    );
    for (const k of [-34000, -100, -1, 0, 1, 7, 5000, 35000]) {
      assert.equal(ddsketchKey(ddsketchBound(k)), k, `a bound belongs to its own bin (k=${k})`);
      assert.equal(ddsketchKey(ddsketchBound(k) * (1 + 2 ** -52)), k + 1, `just above a bound is the next bin (k=${k})`);
    }
  });
});

test('mergeEncoded reads a stored state in place: the same bins as decode + merge', () => {
  const b = sketchOf([-3, 0, 0, 1, 2.5, 1e9, -1e-5]);
  const bytes = new Uint8Array([1, ...b.encode(), 2]);
  const viaMerge = sketchOf([4, 4, -4]);
  viaMerge.merge(DDSketch.decode(b.encode()));
  const direct = sketchOf([4, 4, -4]);
  direct.mergeEncoded(bytes, 1, bytes.length - 1);
  assert.equal(Buffer.from(direct.encode()).toString('hex'), Buffer.from(viaMerge.encode()).toString('hex'));
  assert.equal(direct.count, viaMerge.count);
});

test('mergeEncoded of many states (sparse, dense, wide ranges, counts past 2^32) equals one sketch of every value', () => {
  fc.assert(
    fc.property(fc.array(fc.array(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: 1, max: 200 })), { maxLength: 120 }), { maxLength: 12 }), (states) => {
      const merged = new DDSketch();
      const all = new DDSketch();
      for (const values of states) {
        const bytes = sketchOf(values).encode();
        merged.mergeEncoded(bytes, 0, bytes.length);
        for (const v of values) all.add(v);
      }
      assert.equal(Buffer.from(merged.encode()).toString('hex'), Buffer.from(all.encode()).toString('hex'));
    }),
    { numRuns: 200 },
  );
  const big = new DDSketch();
  big.positive.add(ddsketchKey(5), 2 ** 40 + 3);
  big.count = 2 ** 40 + 3;
  const into = new DDSketch();
  into.mergeEncoded(big.encode(), 0, big.encode().length);
  assert.equal(into.count, 2 ** 40 + 3);
});

test('mergeEncodedRuns (the store sized once for many stored states) equals merging them one by one', () => {
  fc.assert(
    fc.property(fc.array(fc.array(fc.double({ min: -1e4, max: 1e7, noNaN: true }), { maxLength: 80 }), { minLength: 1, maxLength: 10 }), (lists) => {
      const states = lists.map((values) => sketchOf(values).encode());
      const viaRuns = sketchOf([7]);
      viaRuns.mergeEncodedRuns({ length: states.length, bytes: (k) => states[k]!, start: () => 0, end: (k) => states[k]!.length });
      const oneByOne = sketchOf([7]);
      for (const bytes of states) oneByOne.merge(DDSketch.decode(bytes));
      assert.equal(Buffer.from(viaRuns.encode()).toString('hex'), Buffer.from(oneByOne.encode()).toString('hex'));
    }),
    { numRuns: 200 },
  );
});
