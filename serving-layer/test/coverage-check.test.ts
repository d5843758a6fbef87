import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PartitionCoverage } from '@lamina/shared';
import { checkCoverage } from '../src/coverage-check.js';

const c = (partition: number, generation = 2, ready = true): PartitionCoverage => ({ partition, generation, fromOffset: 0, toOffset: 5, highWatermark: 5, ready, lastEventTime: null });

test('complete only when every partition is covered exactly once for the served generation', () => {
  assert.deepEqual(checkCoverage([c(0), c(1), c(2)], 2, 3), { complete: true, ready: true, missing: [], duplicated: [], wrongGeneration: [] });
  assert.deepEqual(checkCoverage([c(0), c(2)], 2, 3).missing, [1]);
  assert.deepEqual(checkCoverage([c(0), c(1), c(1), c(2)], 2, 3).duplicated, [1]);
  assert.deepEqual(checkCoverage([c(0), c(1, 1), c(2)], 2, 3).wrongGeneration, [1]);
  const catchingUp = checkCoverage([c(0), c(1, 2, false), c(2)], 2, 3);
  assert.equal(catchingUp.complete, true);
  assert.equal(catchingUp.ready, false);
});
