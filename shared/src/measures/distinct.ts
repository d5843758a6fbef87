/**
 * distinct: approximate count of distinct values with the portable MD5 HyperLogLog (hyperloglog.ts).
 * null/undefined are not values and are skipped.
 */
import type { SketchMeasure } from './measure.js';
import { HyperLogLog, estimateOfEncoded, writeMergedRuns } from './hyperloglog.js';

export const distinctMeasure: SketchMeasure<HyperLogLog> = {
  kind: 'distinct',
  identity: () => new HyperLogLog(),
  add(state, value) {
    state.addValue(value);
    return state;
  },
  addColumn(state, values) {
    for (let i = 0; i < values.length; i++) state.addValue(values[i]);
    return state;
  },
  merge(into, other) {
    into.merge(other);
    return into;
  },
  result: (state) => state.cardinality(),
  encode: (state) => state.encode(),
  decode: (bytes) => HyperLogLog.decode(bytes),
  writeMergedRuns,
  resultOfEncoded: (bytes, start, end) => Math.round(estimateOfEncoded(bytes, start, end)),
};
