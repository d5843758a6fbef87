import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isoTimestamp } from '../src/index.js';

const MAX = 8.64e15; // the range of a Date

test('isoTimestamp writes what toISOString writes, over the whole range of a Date', () => {
  const instant = fc.oneof(
    fc.integer({ min: -MAX, max: MAX }),
    fc.integer({ min: 0, max: 253_402_300_799_999 + 1000 }),
    // Runs of the same day and across midnights (the cached date part).
    fc.integer({ min: 1_700_000_000_000, max: 1_700_000_000_000 + 3 * 86_400_000 }),
    fc.double({ min: 0, max: 2e12, noNaN: true }),
  );
  fc.assert(fc.property(fc.array(instant, { minLength: 1, maxLength: 20 }), (all) => all.every((ms) => isoTimestamp(ms) === new Date(ms).toISOString())), { numRuns: 5_000 });
  for (const ms of [0, 86_399_999, 86_400_000, 951_782_400_000 /* 2000-02-29 */, 253_402_300_799_999, 253_402_300_800_000, -1]) {
    assert.equal(isoTimestamp(ms), new Date(ms).toISOString(), String(ms));
  }
  assert.throws(() => isoTimestamp(Number.NaN), RangeError);
});
