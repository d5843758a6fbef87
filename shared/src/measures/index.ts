/** The measure library: every monoid a view can declare, and `measureFor` to pick one by spec. */
import type { Measure, MeasureSpec } from './measure.js';
import { avgMeasure, countMeasure, maxMeasure, minMeasure, sumMeasure } from './scalar.js';
import { distinctMeasure } from './distinct.js';
import { quantileMeasure } from './quantile.js';
import { ConfigError } from '../errors.js';

export * from './measure.js';
export type { EncodedRuns } from './encoded-runs.js';
export { avgMeasure, countMeasure, maxMeasure, minMeasure, numericValue, sumMeasure } from './scalar.js';
export type { AvgState } from './scalar.js';
export { distinctMeasure } from './distinct.js';
export { quantileMeasure } from './quantile.js';
export { HyperLogLog, HLL_PRECISION, HLL_REGISTERS, HLL_MAX_RANK, hllPosition } from './hyperloglog.js';
export { DDSketch, DDSKETCH_KEY_OFFSET } from './ddsketch.js';
export * from './ddsketch-bounds.js';
export { canonicalText } from './canonical-value.js';
export { FORMAT as MEASURE_FORMAT, ByteWriter } from './bytes.js';

/** The measure for a declared spec (the field is the caller's business: it extracts the values). */
export function measureFor(spec: MeasureSpec): Measure {
  switch (spec.kind) {
    case 'count':
      return countMeasure;
    case 'sum':
      return sumMeasure;
    case 'min':
      return minMeasure;
    case 'max':
      return maxMeasure;
    case 'avg':
      return avgMeasure;
    case 'distinct':
      return distinctMeasure;
    case 'quantile':
      return quantileMeasure(spec.q);
    default: {
      const unknown: { kind?: unknown } = spec;
      throw new ConfigError(
        `unknown measure kind ${JSON.stringify(unknown.kind)}; use one of count, sum, min, max, avg, distinct, quantile`,
      );
    }
  }
}
