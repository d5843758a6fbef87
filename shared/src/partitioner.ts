/**
 * Kafka's default partitioner for keyed records, bit for bit: the Java client's murmur2 over the
 * key's UTF-8 bytes, made positive with `& 0x7fffffff`, modulo the partition count. Matching it
 * exactly means a key lands on the same partition whether it was produced by Lamina's embedded
 * log, Lamina's Kafka adapter (kafkajs DefaultPartitioner) or any Java/librdkafka producer using
 * the murmur2 partitioner — and so the same partition's offsets mean the same thing everywhere.
 *
 * Null keys are not handled here: they are spread round-robin by the caller (which owns the counter).
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** Java's `Utils.murmur2(byte[])`: a signed 32-bit hash. `Math.imul` gives Java's wrapping int multiply. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const length4 = length >>> 2;

  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }

  const tail = length & ~3;
  const rest = length % 4;
  // Java's switch falls through from 3 to 1; spelled out here to keep the linter and the reader calm.
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }

  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's default partitioner picks for a non-null key. */
export function partitionForKey(key: string, partitionCount: number): number {
  // Buffer.from, not TextEncoder.encode: the latter allocates an ArrayBuffer per call (10× slower on short keys).
  return partitionForKeyBytes(Buffer.from(key, 'utf8'), partitionCount);
}

/** partitionForKey for a key already encoded as UTF-8. */
export function partitionForKeyBytes(key: Uint8Array, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount < 1) {
    throw new RangeError(`partitionForKey: partitionCount must be a positive integer, got ${partitionCount}`);
  }
  return (murmur2(key) & 0x7fffffff) % partitionCount;
}
