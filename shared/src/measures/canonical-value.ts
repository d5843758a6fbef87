/**
 * The canonical text of a measure or dimension value: what every engine (the TypeScript fold, DuckDB
 * SQL, Spark SQL) produces alike, so that hashes and group keys agree byte for byte.
 *
 * - string: itself (ingest refuses lone surrogates, which engines encode differently);
 * - safe integer: its decimal digits (`String(n)` = SQL `CAST(x AS VARCHAR)`); bigint likewise;
 * - boolean: "true" / "false" (= SQL `CAST(b AS VARCHAR)`).
 * Other numbers (fractions, ±0 aside) have no portable text: engines print shortest round-trip forms
 * differently (1e21 vs 1e+21), so config validation keeps them out of distinct measures and dimensions.
 * null and undefined are a missing value and have no form.
 */
export function canonicalText(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return String(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return undefined;
  }
}
