/**
 * The arithmetic measures: count, sum, min, max, avg.
 *
 * Which values they read (`numericValue`): finite numbers, and bigints (Arrow/Parquet int64 columns
 * arrive as bigint in the batch layer) converted with Number(). Everything else — null/undefined
 * (a missing optional field), NaN, ±Infinity, strings, booleans — is ignored, as if the event had
 * no value: events are validated upstream, so such values only come from optional fields, and a
 * throw here would fail a whole batch over one cell. `count` counts events and ignores the value.
 *
 * States are plain numbers (count, sum), number | null (min, max: null when empty) and
 * { sum, count } (avg). min/max use Math.min/Math.max, which order -0 below 0, so their result is
 * order-independent. Float sums may differ in the last bits with the order of additions; integer
 * sums below 2^53 are exact.
 */
import type { Measure } from './measure.js';
import { ByteReader, FORMAT, corrupt, putVarint } from './bytes.js';

/** The number a numeric measure folds for `value`, or NaN when the value is ignored (see above). */
export function numericValue(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : NaN;
  if (typeof value === 'bigint') return Number(value);
  return NaN;
}

function encodeF64(format: number, x: number): Uint8Array {
  const out = new Uint8Array(9);
  out[0] = format;
  new DataView(out.buffer).setFloat64(1, x, true);
  return out;
}

export const countMeasure: Measure<number> = {
  kind: 'count',
  identity: () => 0,
  add: (state) => state + 1,
  addColumn: (state, values) => state + values.length,
  merge: (into, other) => into + other,
  result: (state) => state,
  encode(state) {
    const out = new Uint8Array(10);
    out[0] = FORMAT.count;
    return out.slice(0, putVarint(out, 1, state));
  },
  decode(bytes) {
    const r = new ByteReader(bytes, 'count');
    r.header(FORMAT.count);
    const n = r.varint();
    r.end();
    return n;
  },
};

export const sumMeasure: Measure<number> = {
  kind: 'sum',
  identity: () => 0,
  add(state, value) {
    const v = numericValue(value);
    return v === v ? state + v : state;
  },
  addColumn(state, values) {
    let s = state;
    for (let i = 0; i < values.length; i++) {
      const v = numericValue(values[i]);
      if (v === v) s += v;
    }
    return s;
  },
  merge: (into, other) => into + other,
  result: (state) => state,
  encode: (state) => encodeF64(FORMAT.sum, state),
  decode(bytes) {
    const r = new ByteReader(bytes, 'sum');
    r.header(FORMAT.sum);
    const x = r.f64();
    r.end();
    return x;
  },
};

function extremum(kind: 'min' | 'max', pick: (a: number, b: number) => number): Measure<number | null> {
  const format = FORMAT[kind];
  return {
    kind,
    identity: () => null,
    add(state, value) {
      const v = numericValue(value);
      if (v !== v) return state;
      return state === null ? v : pick(state, v);
    },
    addColumn(state, values) {
      let s = state;
      for (let i = 0; i < values.length; i++) {
        const v = numericValue(values[i]);
        if (v === v) s = s === null ? v : pick(s, v);
      }
      return s;
    },
    merge: (into, other) => (other === null ? into : into === null ? other : pick(into, other)),
    result: (state) => state,
    encode: (state) => (state === null ? Uint8Array.of(format) : encodeF64(format, state)),
    decode(bytes) {
      const r = new ByteReader(bytes, kind);
      r.header(format);
      if (r.remaining === 0) return null;
      const x = r.f64();
      r.end();
      if (!Number.isFinite(x)) throw corrupt(kind, `value ${x} is not finite`);
      return x;
    },
  };
}

export const minMeasure: Measure<number | null> = extremum('min', Math.min);
export const maxMeasure: Measure<number | null> = extremum('max', Math.max);

export interface AvgState {
  sum: number;
  count: number;
}

/** avg = sum / count over the values read; null when there are none. */
export const avgMeasure: Measure<AvgState> = {
  kind: 'avg',
  identity: () => ({ sum: 0, count: 0 }),
  add(state, value) {
    const v = numericValue(value);
    if (v === v) {
      state.sum += v;
      state.count++;
    }
    return state;
  },
  addColumn(state, values) {
    let sum = state.sum;
    let count = state.count;
    for (let i = 0; i < values.length; i++) {
      const v = numericValue(values[i]);
      if (v === v) {
        sum += v;
        count++;
      }
    }
    state.sum = sum;
    state.count = count;
    return state;
  },
  merge(into, other) {
    into.sum += other.sum;
    into.count += other.count;
    return into;
  },
  result: (state) => (state.count === 0 ? null : state.sum / state.count),
  encode(state) {
    // format, float64 sum, varint count
    const out = new Uint8Array(17);
    out[0] = FORMAT.avg;
    new DataView(out.buffer).setFloat64(1, state.sum, true);
    return out.slice(0, putVarint(out, 9, state.count));
  },
  decode(bytes) {
    const r = new ByteReader(bytes, 'avg');
    r.header(FORMAT.avg);
    const sum = r.f64();
    const count = r.varint();
    r.end();
    return { sum, count };
  },
};
