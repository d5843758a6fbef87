import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import kafkajs from 'kafkajs';
import { murmur2, partitionForKey } from '../src/partitioner.js';

// kafkajs' own murmur2 (a port of the Java client's) is the reference implementation.
const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: string | Buffer) => number;

const utf8 = new TextEncoder();

/** Any string: ASCII-heavy, all of Unicode, lone surrogates included (they encode as U+FFFD). */
const anyKey = fc
  .array(fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0, max: 0x10ffff })), { maxLength: 40 })
  .map((codePoints) => String.fromCodePoint(...codePoints));

describe('partitionForKey (Kafka default partitioner)', () => {
  test("matches the Java client's murmur2 test vectors (Kafka UtilsTest)", () => {
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of vectors) assert.equal(murmur2(utf8.encode(key)), hash, key);
  });

  test('known partitions for a 12-partition topic', () => {
    const expected: [string, number][] = [['21', 0], ['foobar', 6], ['', 9], ['é', 3], ['日本語キー', 10], ['user-42', 4]];
    for (const [key, partition] of expected) assert.equal(partitionForKey(key, 12), partition, JSON.stringify(key));
  });

  test('murmur2 equals kafkajs on random byte strings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => murmur2(bytes) === kafkajsMurmur2(Buffer.from(bytes))),
      { numRuns: 3000 },
    );
  });

  test("partitionForKey equals kafkajs' DefaultPartitioner on random keys and partition counts", () => {
    const partitioner = kafkajs.Partitioners.DefaultPartitioner();
    const metadata = new Map<number, kafkajs.PartitionMetadata[]>();
    const metadataFor = (n: number): kafkajs.PartitionMetadata[] => {
      let m = metadata.get(n);
      if (!m) metadata.set(n, (m = Array.from({ length: n }, (_, partitionId) => ({ partitionErrorCode: 0, partitionId, leader: 1, replicas: [1], isr: [1] }))));
      return m;
    };
    fc.assert(
      fc.property(anyKey, fc.integer({ min: 1, max: 100 }), (key, n) => {
        const partitionMetadata = metadataFor(n);
        const expected = partitioner({ topic: 't', partitionMetadata, message: { key, value: null } });
        return partitionForKey(key, n) === expected;
      }),
      { numRuns: 3000 },
    );
  });

  test('rejects a partition count that is not a positive integer', () => {
    assert.throws(() => partitionForKey('k', 0), RangeError);
    assert.throws(() => partitionForKey('k', 1.5), RangeError);
  });
});
