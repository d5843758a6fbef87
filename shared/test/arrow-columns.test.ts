/** The direct Arrow column builders read back the same values as apache-arrow's own vectorFromArray. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as arrow from 'apache-arrow';
import { dateDayColumn, float64Column, int64Column, timestampMicrosColumn, utf8Column } from '../src/tables/arrow-columns.js';

const values = (v: arrow.Vector) => [...v].map((x) => (typeof x === 'bigint' ? Number(x) : x));

test('utf8, int64, float64 and timestamp columns equal vectorFromArray for any values and nulls', () => {
  fc.assert(
    fc.property(
      fc.array(fc.option(fc.string({ unit: 'grapheme', maxLength: 40 }), { nil: null }), { maxLength: 200 }),
      fc.array(fc.option(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), { nil: null }), { maxLength: 200 }),
      fc.array(fc.option(fc.double({ noNaN: true }), { nil: null }), { maxLength: 200 }),
      fc.array(fc.option(fc.integer({ min: -8.64e12, max: 8.64e12 }), { nil: null }), { maxLength: 200 }),
      (strings, ints, doubles, millis) => {
        assert.deepEqual([...utf8Column(strings)], [...arrow.vectorFromArray(strings, new arrow.Utf8())]);
        assert.deepEqual(values(int64Column(ints)), ints);
        assert.deepEqual([...float64Column(doubles)], doubles);
        assert.deepEqual([...timestampMicrosColumn(millis)], [...arrow.vectorFromArray(millis, new arrow.TimestampMicrosecond('UTC'))]);
        assert.equal(utf8Column(strings).nullCount, strings.filter((s) => s === null).length);
      },
    ),
    { numRuns: 300 },
  );
  assert.deepEqual([...dateDayColumn(3, 20_000)], [...arrow.vectorFromArray([20_000 * 86_400_000, 20_000 * 86_400_000, 20_000 * 86_400_000], new arrow.DateDay())]);
});
