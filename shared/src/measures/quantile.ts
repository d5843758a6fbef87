/**
 * quantile: a DDSketch (α = 0.01) of the numeric values; `quantileMeasure(q)` answers quantile q.
 * States do not depend on q, so views asking for different quantiles of one field share bytes.
 * Values are read like the arithmetic measures (see numericValue): missing and non-finite skipped.
 */
import type { SketchMeasure } from './measure.js';
import { DDSketch, quantileOfEncoded, writeMergedRuns } from './ddsketch.js';
import { numericValue } from './scalar.js';
import { ConfigError } from '../errors.js';

export function quantileMeasure(q: number): SketchMeasure<DDSketch> {
  if (!(q >= 0 && q <= 1)) {
    throw new ConfigError(`quantile measure: q must be a number in [0, 1] (e.g. 0.95 for p95), got ${q}`);
  }
  return {
    kind: 'quantile',
    identity: () => new DDSketch(),
    add(state, value) {
      const v = numericValue(value);
      if (v === v) state.add(v);
      return state;
    },
    addColumn(state, values) {
      for (let i = 0; i < values.length; i++) {
        const v = numericValue(values[i]);
        if (v === v) state.add(v);
      }
      return state;
    },
    merge(into, other) {
      into.merge(other);
      return into;
    },
    result: (state) => state.quantile(q),
    encode: (state) => state.encode(),
    decode: (bytes) => DDSketch.decode(bytes),
    writeMergedRuns,
    resultOfEncoded: (bytes, start, end) => quantileOfEncoded(bytes, start, end, q),
  };
}
