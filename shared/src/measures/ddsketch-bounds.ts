/**
 * The bin boundaries of Lamina's DDSketch, the one definition every engine shares.
 *
 * γ = 1.01 / 0.99 (relative accuracy α = 0.01). Bin k holds the magnitudes v with
 * bound(k-1) < v <= bound(k), where bound(0) = 1, bound(k) = bound(k-1) · γ for k > 0 and
 * bound(k) = bound(k+1) / γ for k < 0 — each step one IEEE-754 multiplication or division, which is
 * correctly rounded in every language and engine, so the table is the same doubles everywhere
 * (unlike ln/log/pow, whose last bits differ between V8, Java's StrictMath and DuckDB: ENGINES.md).
 *
 * A key is found by an estimate, ceil(ln(v) · C), corrected by exact comparison with the table:
 * the estimate is never off by more than one bin (the bins are 2 % wide; ln errs by a few ulps and
 * the table by < 1e-11 relative), so one step each way makes the key exact in JS and in SQL alike.
 * Magnitudes below MIN_INDEXABLE (2^-1000, also every subnormal) count as zero, as in DataDog's
 * sketches; magnitudes above the last finite bound fall in the top bin (bound = Infinity).
 */
export const DDSKETCH_RELATIVE_ACCURACY = 0.01;
export const DDSKETCH_GAMMA = 1.01 / 0.99;
/** 1 / ln(γ): only the estimate's multiplier; the table decides. */
export const DDSKETCH_KEY_MULTIPLIER = 1 / Math.log(DDSKETCH_GAMMA);
/** A bin's representative value is bound(k) · 2/(1+γ): within α of every value in the bin. */
export const DDSKETCH_REPRESENTATIVE_FACTOR = 2 / (1 + DDSKETCH_GAMMA);
export const DDSKETCH_MIN_INDEXABLE = 2 ** -1000;

/** Keys covered by the table: from the key of MIN_INDEXABLE to the first infinite bound. */
export const DDSKETCH_MIN_KEY = -34_700;
export const DDSKETCH_MAX_KEY = 35_600;

function buildBounds(): Float64Array {
  const out = new Float64Array(DDSKETCH_MAX_KEY - DDSKETCH_MIN_KEY + 1);
  const zero = -DDSKETCH_MIN_KEY;
  out[zero] = 1;
  for (let k = 1; k <= DDSKETCH_MAX_KEY; k++) out[zero + k] = out[zero + k - 1]! * DDSKETCH_GAMMA;
  for (let k = -1; k >= DDSKETCH_MIN_KEY; k--) out[zero + k] = out[zero + k + 1]! / DDSKETCH_GAMMA;
  return out;
}

const BOUNDS = buildBounds();

/** bound(k) for DDSKETCH_MIN_KEY <= k <= DDSKETCH_MAX_KEY. */
export function ddsketchBound(k: number): number {
  return BOUNDS[k - DDSKETCH_MIN_KEY]!;
}

/** The bin of a magnitude v >= MIN_INDEXABLE (finite). */
export function ddsketchKey(v: number): number {
  let k = Math.ceil(Math.log(v) * DDSKETCH_KEY_MULTIPLIER);
  if (k > DDSKETCH_MAX_KEY) k = DDSKETCH_MAX_KEY;
  if (k <= DDSKETCH_MIN_KEY) k = DDSKETCH_MIN_KEY + 1;
  // One step at most in practice; loops keep the definition exact whatever the estimate.
  while (k > DDSKETCH_MIN_KEY + 1 && v <= BOUNDS[k - 1 - DDSKETCH_MIN_KEY]!) k--;
  while (k < DDSKETCH_MAX_KEY && v > BOUNDS[k - DDSKETCH_MIN_KEY]!) k++;
  return k === 0 ? 0 : k; // never -0 (Math.ceil of a small negative)
}

/** The whole table as (key, lower, upper) columns: what the SQL engines join on. */
export function ddsketchBoundsTable(): { key: Int32Array; lower: Float64Array; upper: Float64Array } {
  const n = DDSKETCH_MAX_KEY - DDSKETCH_MIN_KEY;
  const key = new Int32Array(n);
  const lower = new Float64Array(n);
  const upper = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    key[i] = DDSKETCH_MIN_KEY + 1 + i;
    lower[i] = BOUNDS[i]!;
    upper[i] = BOUNDS[i + 1]!;
  }
  return { key, lower, upper };
}
