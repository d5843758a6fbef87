/**
 * distinct: approximate count of distinct values with a HyperLogLog (p = 14) over the fixed value
 * hash of shared/src/hash/value-hash.ts (MurmurHash3_x86_128, seed 0, of the canonical string
 * form; its first 64 bits feed the sketch). null/undefined are not values and are skipped.
 */
import type { Measure } from './measure.js';
import { HyperLogLog } from './hyperloglog.js';
import { hashValueInto } from '../hash/value-hash.js';

const digest = new Uint32Array(4);

export const distinctMeasure: Measure<HyperLogLog> = {
  kind: 'distinct',
  identity: () => new HyperLogLog(),
  add(state, value) {
    if (hashValueInto(value, digest)) state.addHash(digest[0]!, digest[1]!);
    return state;
  },
  addColumn(state, values) {
    for (let i = 0; i < values.length; i++) {
      if (hashValueInto(values[i], digest)) state.addHash(digest[0]!, digest[1]!);
    }
    return state;
  },
  merge(into, other) {
    into.merge(other);
    return into;
  },
  result: (state) => state.cardinality(),
  encode: (state) => state.encode(),
  decode: (bytes) => HyperLogLog.decode(bytes),
};
