import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IdSet } from '../src/id-set.js';

test('ids whose hashes are equal are told apart by the ids themselves', () => {
  // Each pair has one FNV-1a hash (found by a birthday search): only the string comparison separates them.
  const pairs = [['evt-462789', 'evt-679192'], ['evt-462788', 'evt-679193'], ['evt-462783', 'evt-679198']];
  const ids = new IdSet();
  for (const [a, b] of pairs) {
    assert.equal(ids.addIfAbsent(a!), true);
    assert.equal(ids.has(b!), false, `${b} is not held although ${a} has its hash`);
    assert.equal(ids.addIfAbsent(b!), true);
    assert.equal(ids.addIfAbsent(a!), false);
    assert.equal(ids.addIfAbsent(b!), false);
  }
  assert.equal(ids.size, 6);
  assert.deepEqual([...ids], pairs.flat());
});

test('an IdSet answers as a Set does, over many growths', () => {
  const ids = new IdSet();
  const reference = new Set<string>();
  for (let i = 0; i < 300_000; i++) {
    // Every third id again, to ask for held ids in every table size.
    const id = i % 3 === 2 ? `run-${i - 1}` : `run-${i}`;
    assert.equal(ids.addIfAbsent(id), !reference.has(id));
    reference.add(id);
  }
  assert.equal(ids.size, reference.size);
  for (let i = 0; i < 300_000; i += 7) assert.equal(ids.has(`run-${i}`), reference.has(`run-${i}`));
  assert.deepEqual([...ids], [...reference]);
});

test('any sequence of ids: addIfAbsent says whether each was new, has and iteration agree with a Set', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ maxLength: 6, unit: 'binary' }), { maxLength: 200 }), (sequence) => {
      const ids = new IdSet();
      const reference = new Set<string>();
      for (const id of sequence) {
        assert.equal(ids.addIfAbsent(id), !reference.has(id));
        reference.add(id);
      }
      assert.deepEqual([...ids], [...reference]);
      for (const id of sequence) assert.ok(ids.has(id));
      assert.equal(ids.has('\u0000absent'), reference.has('\u0000absent'));
    }),
  );
});
