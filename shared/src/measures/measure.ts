import type { ByteWriter } from './bytes.js';
import type { EncodedRuns } from './encoded-runs.js';

/**
 * A measure is a commutative monoid over event values: an identity, `add` (one value, used by the
 * speed layer), `addColumn` (many values, used by the batch layer) and `merge`. States are mutable
 * for speed; every operation must give a state whose `encode` is byte-identical whatever the order
 * or grouping of the adds and merges (floating-point sums excepted: they may differ by rounding).
 */
export interface Measure<S = unknown> {
  /** 'count' | 'sum' | 'min' | 'max' | 'avg' | 'distinct' | 'quantile' */
  readonly kind: string;
  identity(): S;
  /** Folds one value into `state` (mutating it when it can) and returns the state. */
  add(state: S, value: unknown): S;
  /** Folds values[0..length) into `state`; identical result to calling add for each one. */
  addColumn(state: S, values: ArrayLike<unknown>): S;
  /** Folds `other` into `into` (mutating it when it can) and returns it; `other` is left untouched. */
  merge(into: S, other: S): S;
  /** The answer a query returns: a number, or null for an empty min/max/avg/quantile. */
  result(state: S): number | null;
  /** A canonical, compact byte form for the lake and the wire. */
  encode(state: S): Uint8Array;
  decode(bytes: Uint8Array): S;
}

/**
 * distinct and quantile: states a view stores as bytes, which a scan merges where they lie. These two
 * give an answer's numbers with no state per group: the merge written encoded, and the result read
 * from an encoding.
 */
export interface SketchMeasure<S = unknown> extends Measure<S> {
  /** Writes `encode` of the merge of `runs` (stored states) to `out`; no state is made. */
  writeMergedRuns(runs: EncodedRuns, out: ByteWriter): void;
  /** `result(decode(bytes[start..end)))`, read in place. */
  resultOfEncoded(bytes: Uint8Array, start: number, end: number): number | null;
}

export function isSketchMeasure(measure: Measure): measure is SketchMeasure {
  return 'writeMergedRuns' in measure;
}

/** Which field a measure reads and how it is parameterised, as declared in the project config. */
export type MeasureSpec =
  | { kind: 'count' }
  | { kind: 'sum'; field: string }
  | { kind: 'min'; field: string }
  | { kind: 'max'; field: string }
  | { kind: 'avg'; field: string }
  | { kind: 'distinct'; field: string }
  | { kind: 'quantile'; field: string; q: number };
