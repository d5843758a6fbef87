import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { CorruptDataError } from '../src/errors.js';
import { EmbeddedEventLog } from '../src/adapters/embedded-log/index.js';
import { encodeFrameInto, frameBytes, type FrameInput } from '../src/adapters/embedded-log/frame-codec.js';
import { decodeFrames, type FrameRun } from '../src/adapters/embedded-log/frame-run.js';
import { RecentGroups } from '../src/adapters/embedded-log/recent-groups.js';

function framesOf(first: number, records: { key: string | null; value: string }[]): Buffer {
  const inputs: FrameInput[] = records.map(({ key, value }) => ({ key: key === null ? null : Buffer.from(key), value, valueBytes: Buffer.byteLength(value) }));
  const buf = Buffer.alloc(inputs.reduce((n, input) => n + frameBytes(input), 0));
  let at = 0;
  inputs.forEach((input, i) => (at += encodeFrameInto(buf, at, first + i, 1_700_000_000_000 + i, input)));
  return buf;
}

test('a run of frames decodes to the records written: keys as given (a leading BOM kept), values as views', () => {
  const written = [
    { key: null, value: '{"a":1}' },
    { key: '\uFEFFbom', value: '' },
    { key: 'ключ-🔑', value: 'значение' },
    { key: '', value: 'x'.repeat(300) },
  ];
  const bytes = framesOf(40, written);
  // Inside a bigger buffer, as a run copied across a thread or cut from a group is.
  const outer = new Uint8Array(bytes.length + 16);
  outer.set(bytes, 8);
  const run: FrameRun = { partition: 3, first: 40, count: written.length, bytes: outer.subarray(8, 8 + bytes.length) };
  const records = decodeFrames(run);
  assert.deepEqual(records.map((r) => [r.partition, r.offset, r.key, Buffer.from(r.value).toString(), r.timestamp]), written.map((w, i) => [3, 40 + i, w.key, w.value, 1_700_000_000_000 + i]));
  assert.equal(records[3]!.value.buffer, outer.buffer, 'values are views, not copies');
});

test('a run read from the file is verified where it is decoded: damage names the record, the byte and the file', () => {
  const bytes = framesOf(10, [{ key: 'a', value: 'one' }, { key: 'b', value: 'two' }, { key: 'c', value: 'three' }]);
  const readFrom = { label: 't/0', path: '/data/partition-0.log', fileStart: 1000 };
  assert.equal(decodeFrames({ partition: 0, first: 10, count: 3, bytes, readFrom }).length, 3);
  const second = frameBytes({ key: Buffer.from('a'), value: 'one', valueBytes: 3 });
  const damaged = Buffer.from(bytes);
  damaged[second + 30] = damaged[second + 30]! ^ 0x5a;
  assert.throws(() => decodeFrames({ partition: 0, first: 10, count: 3, bytes: damaged, readFrom }), (e: unknown) => e instanceof CorruptDataError && e.message === `t/0: record 11 at byte ${1000 + second} of /data/partition-0.log fails its checksum; the file was damaged after it was opened — restore it from a backup`);
  assert.throws(() => decodeFrames({ partition: 0, first: 10, count: 4, bytes, readFrom }), /record 13 at byte \d+ .* is missing/, 'fewer frames than the index says');
  assert.throws(() => decodeFrames({ partition: 0, first: 11, count: 3, bytes, readFrom }), /record 11 .* says offset 10/, 'frames of other offsets');
});

test('RecentGroups holds exactly the newest groups within its byte and count bounds, and reads across them', () => {
  // Every record is 3 bytes of the "file", so offset o starts at byte 3 o.
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 6 }), fc.array(fc.integer({ min: 1, max: 12 }), { maxLength: 30 }), fc.nat(120), fc.nat(40), (maxBytes, maxGroups, counts, probe, span) => {
      const recent = new RecentGroups(maxBytes, maxGroups);
      const total = counts.reduce((a, b) => a + b, 0);
      const file = Buffer.from(Array.from({ length: total * 3 }, (_, i) => i % 251));
      let first = 0;
      const pushed = counts.map((count) => {
        const group = { first, end: first + count, fileStart: first * 3, frames: Buffer.from(file.subarray(first * 3, (first + count) * 3)) };
        recent.push(group);
        first += count;
        return group;
      });
      // The model: walk back from the newest while bytes and count fit; a group too big to hold stops it.
      let oldest = total;
      let bytes = 0;
      for (let i = pushed.length - 1, n = 0; i >= 0; i--, n++) {
        const size = pushed[i]!.frames.length;
        if (size > maxBytes || bytes + size > maxBytes || n === maxGroups) break;
        bytes += size;
        oldest = pushed[i]!.first;
      }
      assert.equal(recent.holds(probe), probe >= oldest && probe < total);
      if (!recent.holds(probe)) return;
      const end = Math.min(total, probe + 1 + span);
      assert.deepEqual(recent.frames(probe, probe * 3, end * 3), file.subarray(probe * 3, end * 3));
    }),
    { numRuns: 3_000 },
  );
  const recent = new RecentGroups(100);
  recent.push({ first: 5, end: 7, fileStart: 0, frames: Buffer.alloc(1) });
  assert.throws(() => recent.push({ first: 8, end: 9, fileStart: 1, frames: Buffer.alloc(1) }), /offset 8 appended after 6/);
});

test('a read from memory spans group commits: records appended one call at a time come back in one chunk', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lamina-frames-'));
  const log = await EmbeddedEventLog.open({ dir });
  try {
    await log.ensureTopic('t', 1);
    for (let i = 0; i < 50; i++) await log.produce('t', [{ key: i % 2 === 0 ? null : `k${i}`, value: `value-${i}` }]);
    const chunks: string[][] = [];
    for await (const records of log.readRange('t', 0, 3, 50)) chunks.push(records.map((r) => `${r.offset}:${r.key}:${Buffer.from(r.value).toString()}`));
    assert.equal(chunks.length, 1, 'one chunk, not one per group commit');
    assert.deepEqual(chunks[0], Array.from({ length: 47 }, (_, j) => `${j + 3}:${(j + 3) % 2 === 0 ? null : `k${j + 3}`}:value-${j + 3}`));
  } finally {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
});
