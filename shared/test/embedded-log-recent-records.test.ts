import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { LogRecord } from '../src/ports/event-log.js';
import { RecentRecords } from '../src/adapters/embedded-log/recent-records.js';

const record = (offset: number): LogRecord => ({ partition: 0, offset, key: null, value: new Uint8Array(0), timestamp: 0 });
const offsets = (records: LogRecord[] | undefined) => records?.map((r) => r.offset);

test('RecentRecords holds the newest records within its count and byte bounds, contiguously', () => {
  const recent = new RecentRecords(10, 4, 100);
  assert.equal(recent.read(10, 11, 1000), undefined, 'nothing before the first append');
  for (let o = 10; o < 16; o++) recent.push(record(o), 10);
  assert.equal(recent.read(11, 16, 1000), undefined, 'evicted by count');
  assert.deepEqual(offsets(recent.read(12, 16, 1000)), [12, 13, 14, 15]);
  assert.deepEqual(offsets(recent.read(13, 20, 1000)), [13, 14, 15], 'up to the newest');
  assert.deepEqual(offsets(recent.read(12, 16, 25)), [12, 13], 'byte budget');
  assert.deepEqual(offsets(recent.read(12, 16, 1)), [12], 'at least one record');
  recent.push(record(16), 75);
  assert.deepEqual(offsets(recent.read(14, 17, 1000)), [14, 15, 16], 'evicted by bytes: 13 goes (10 + 10 + 10 + 75 > 100)');
  assert.equal(recent.read(13, 17, 1000), undefined);
  recent.push(record(17), 101);
  assert.equal(recent.read(16, 18, 1000), undefined, 'a record too big to hold ends what can be read from memory');
  recent.push(record(18), 1);
  assert.deepEqual(offsets(recent.read(18, 19, 1000)), [18]);
  assert.throws(() => recent.push(record(20), 1), /offset 20 appended after 18/);
});

test('RecentRecords answers exactly the offsets a model of its bounds holds', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 50 }), fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 60 }), fc.nat(70), fc.nat(10), (capacity, maxBytes, sizes, from, span) => {
    const recent = new RecentRecords(0, capacity, maxBytes);
    sizes.forEach((size, offset) => recent.push(record(offset), size));
    // The model: walk back from the newest while count and bytes fit; a too-big record stops it.
    const held: number[] = [];
    let bytes = 0;
    for (let o = sizes.length - 1; o >= 0; o--) {
      if (sizes[o]! > maxBytes || held.length === capacity || bytes + sizes[o]! > maxBytes) break;
      bytes += sizes[o]!;
      held.unshift(o);
    }
    const got = recent.read(from, from + span + 1, Number.MAX_SAFE_INTEGER);
    if (!held.includes(from)) assert.equal(got, undefined);
    else assert.deepEqual(offsets(got), held.filter((o) => o >= from && o <= from + span));
  }), { numRuns: 3_000 });
});
