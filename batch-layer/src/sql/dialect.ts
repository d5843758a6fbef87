/**
 * The SQL functions Lamina's view SQL needs, per engine. The view compiler writes only through this,
 * and uses only operations DuckDB and Spark SQL both have (ENGINES.md), so the same plan runs on both.
 */
export interface SqlDialect {
  readonly name: 'duckdb' | 'spark';
  /** A relation over Parquet files whose schemas may differ by added columns. */
  readParquet(files: readonly string[]): string;
  /** Milliseconds since the epoch of a timestamp column. */
  epochMs(ts: string): string;
  /** Lower-case hex MD5 of a string expression. */
  md5Hex(text: string): string;
  /** A hex string (no prefix) as a 64-bit integer. */
  hexToBigint(hex: string): string;
  /** Upper-case hex of a non-negative integer, left-padded with zeros to `width`. */
  paddedHex(value: string, width: number): string;
  /** Bytes from a hex string. */
  unhex(hex: string): string;
  /** Number of set bits of a 64-bit integer. */
  bitCount(value: string): string;
  xor(a: string, b: string): string;
  shiftRight(value: string, bits: number): string;
  /** Concatenation of the strings of a group, in `orderBy` order. */
  stringAgg(value: string, orderBy: string): string;
  /** A double literal (exact: shortest round-trip digits, typed as DOUBLE). */
  double(x: number): string;
  /** The DATE of an epoch day number. */
  dateOfEpochDay(day: string): string;
  toText(value: string): string;
  /** Type names of casts: 'BIGINT', 'DOUBLE', 'BLOB', 'VARCHAR', 'INTEGER', 'BOOLEAN'. */
  type(name: 'BIGINT' | 'DOUBLE' | 'BLOB' | 'VARCHAR' | 'INTEGER'): string;
}

const quotePath = (path: string) => `'${path.replace(/'/g, "''")}'`;

export const duckdbDialect: SqlDialect = {
  name: 'duckdb',
  readParquet: (files) => `read_parquet([${files.map(quotePath).join(', ')}], union_by_name = true)`,
  epochMs: (ts) => `epoch_ms(${ts})`,
  md5Hex: (text) => `md5(${text})`,
  hexToBigint: (hex) => `CAST(('0x' || ${hex}) AS BIGINT)`,
  paddedHex: (value, width) => `lpad(hex(${value}), ${width}, '0')`,
  unhex: (hex) => `unhex(${hex})`,
  bitCount: (value) => `bit_count(${value})`,
  xor: (a, b) => `xor(${a}, ${b})`,
  shiftRight: (value, bits) => `(${value} >> ${bits})`,
  stringAgg: (value, orderBy) => `string_agg(${value}, '' ORDER BY ${orderBy})`,
  double: (x) => `CAST('${Object.is(x, -0) ? '-0.0' : String(x)}' AS DOUBLE)`,
  dateOfEpochDay: (day) => `(DATE '1970-01-01' + CAST(${day} AS INTEGER))`,
  toText: (value) => `CAST(${value} AS VARCHAR)`,
  type: (name) => name,
};
