import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdSet } from '../src/id-set.js';

test('an IdSet past its part size holds every id once, finds each and lists each', () => {
  const ids = new IdSet(4);
  const added = Array.from({ length: 11 }, (_, i) => `id-${i}`);
  for (const id of added) ids.add(id);
  // Again, once the ids span three parts: an id of an earlier part is not added to the last.
  for (const id of added) ids.add(id);
  assert.equal([...ids].length, 11);
  for (const id of added) assert.ok(ids.has(id), id);
  assert.ok(!ids.has('id-11'));
  assert.deepEqual([...ids].sort(), [...added].sort());
});

test('an id added again when its only part is full is not added to a new part', () => {
  const ids = new IdSet(4);
  for (const id of ['a', 'b', 'c', 'd', 'a']) ids.add(id);
  assert.equal([...ids].length, 4);
  assert.deepEqual([...ids], ['a', 'b', 'c', 'd']);
});

test('addIfAbsent says whether the id was new, in one part and across parts', () => {
  const ids = new IdSet(3);
  assert.deepEqual(['a', 'b', 'a', 'c', 'd', 'a', 'd', 'e', 'c'].map((id) => ids.addIfAbsent(id)), [true, true, false, true, true, false, false, true, false]);
  assert.deepEqual([...ids].sort(), ['a', 'b', 'c', 'd', 'e']);
});
