// Sketch measures' stateless path (what a serving scan uses): writeMergedRuns and resultOfEncoded
// give exactly the bytes and results of merging the runs into a state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteWriter, distinctMeasure, quantileMeasure, type EncodedRuns, type SketchMeasure } from '../src/measures/index.js';

/** The states laid out back to back in one buffer after some leading bytes, as a view chunk holds them. */
function runsOf(states: readonly Uint8Array[]): EncodedRuns {
  const ends: number[] = [];
  let at = 5;
  for (const s of states) ends.push((at += s.length));
  const bytes = new Uint8Array(at + 3).fill(0xee);
  states.forEach((s, k) => bytes.set(s, ends[k]! - s.length));
  return { length: states.length, bytes: () => bytes, start: (k) => ends[k]! - states[k]!.length, end: (k) => ends[k]! };
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Merges each case's runs through a state and the stateless path, into one writer after the earlier cases, and compares. */
function assertAlike(measure: SketchMeasure, cases: unknown[][][], label: string): void {
  const out = new ByteWriter(16);
  let from = 0;
  for (const [c, lists] of cases.entries()) {
    const states = lists.map((values) => measure.encode(measure.addColumn(measure.identity(), values)));
    const runs = runsOf(states);
    const state = measure.identity() as { mergeEncodedRuns(r: EncodedRuns): void };
    state.mergeEncodedRuns(runs);
    measure.writeMergedRuns(runs, out);
    const written = out.written();
    assert.equal(hex(written.subarray(from)), hex(measure.encode(state)), `${label} case ${c}: bytes`);
    assert.equal(measure.resultOfEncoded(written, from, written.length), measure.result(state), `${label} case ${c}: result`);
    from = written.length;
  }
}

test('distinct: writeMergedRuns and resultOfEncoded equal a merged HyperLogLog, sparse and past the dense bound', () => {
  const values = fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.integer({ min: 0, max: 3000 })), { maxLength: 60 });
  fc.assert(fc.property(fc.array(fc.array(values, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 }), (cases) => assertAlike(distinctMeasure, cases, 'small')), { numRuns: 150 });
  // Runs of thousands of registers: more entries in all than the sparse merge holds (4,096).
  const big = (g: number, n: number) => Array.from({ length: n }, (_, i) => `u${g}-${i % 3 === 0 ? i : i + g * 1000}`);
  assertAlike(distinctMeasure, [[big(1, 3000), big(2, 3000)], [big(3, 200), big(4, 5000), big(5, 40_000)], [big(6, 2000)], [[], big(7, 10)]], 'large');
  // At most 4,096 entries in all, more than 1,024 registers set: merged sparse here, where a state goes dense.
  assertAlike(distinctMeasure, [[big(8, 1500), big(9, 1500)]], 'sparse merge past the memory bound');
});

test('quantile: writeMergedRuns and resultOfEncoded equal a merged DDSketch, for every store and q', () => {
  const number = fc.oneof(fc.double({ min: -1e6, max: 1e9, noNaN: true }), fc.constantFrom(0, -0, 1e-310, 5, -5, 1e300, -1e300, Number.MAX_VALUE, -Number.MAX_VALUE));
  for (const q of [0, 0.01, 0.5, 0.95, 1]) {
    const measure = quantileMeasure(q);
    fc.assert(
      fc.property(fc.array(fc.array(fc.array(number, { maxLength: 70 }), { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 5 }), (cases) => assertAlike(measure, cases, `q ${q}`)),
      { numRuns: 100 },
    );
  }
});

test('no runs: writeMergedRuns writes the identity', () => {
  for (const measure of [distinctMeasure, quantileMeasure(0.5)] as SketchMeasure[]) {
    const out = new ByteWriter();
    measure.writeMergedRuns(runsOf([]), out);
    assert.equal(hex(out.written()), hex(measure.encode(measure.identity())));
    assert.equal(measure.resultOfEncoded(out.written(), 0, out.length), measure.result(measure.identity()));
  }
});
