// DDSketch (quantile): relative accuracy against exact quantiles, the rank rule, exact merges, strict decode.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DDSketch, DDSKETCH_RELATIVE_ACCURACY, MEASURE_FORMAT, quantileMeasure } from '../src/measures/index.js';
import { CorruptDataError } from '../src/errors.js';

const QS = [0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1];
// α, plus room for the last bits of Math.log/Math.exp at bin boundaries.
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
    assert.ok(
      Math.abs(estimate - exact) <= TOLERANCE * Math.abs(exact),
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

  test('golden encoding (format byte, zero count, negative bins, positive bins)', () => {
    assert.equal(Buffer.from(sketchOf([-2.5, 0, 0, 1, 1, 100]).encode()).toString('hex'), '0702015c01020002ce0301');
  });

  test('strict decode: unsorted bins, empty bins, wrong format, trailing bytes', () => {
    const f = MEASURE_FORMAT.ddsketch;
    const fail = (bytes: number[]): void => void assert.throws(() => DDSketch.decode(Uint8Array.from(bytes)), CorruptDataError);
    fail([f, 0, 0, 2, 2, 1, 1, 1]); // second delta −1 (zigzag 1): out of order
    fail([f, 0, 0, 2, 2, 1, 0, 1]); // zero delta: repeated key
    fail([f, 0, 0, 1, 2, 0]); // empty bin
    fail([f + 1, 0, 0, 0]);
    fail([f, 0, 0, 0, 0]);
    fail([f, 0, 0, 200, 1]); // claims more bins than bytes
    const ok = DDSketch.decode(Uint8Array.from([f, 3, 0, 2, 3, 1, 4, 2]));
    assert.equal(ok.count, 6);
    assert.deepEqual([...ok.positive], [[-2, 1], [0, 2]]);
  });
});
