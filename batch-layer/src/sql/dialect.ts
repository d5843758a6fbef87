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
  /** Upper-case hex of non-negative integers, each left-padded with zeros to its width, concatenated. */
  hexFields(fields: readonly (readonly [value: string, width: number])[]): string;
  /** Bytes from a hex string. */
  unhex(hex: string): string;
  /** Number of set bits of a 64-bit integer. */
  bitCount(value: string): string;
  xor(a: string, b: string): string;
  /** Equality that holds for two nulls (join keys with nullable dimensions). */
  nullSafeEquals(a: string, b: string): string;
  shiftRight(value: string, bits: number): string;
  /**
   * Aggregate: the strings of a group sorted (byte order) and concatenated. Sorting a list per group
   * is far cheaper than an ordered string aggregate in both engines.
   */
  sortedConcat(value: string): string;
  /**
   * Aggregate: the sum of a group's non-null doubles, added in ascending order starting from 0.0, so
   * that every engine rounds alike (0.0 for none, as coalesce(sum, 0)).
   */
  sortedSum(value: string): string;
  /** Aggregate: the exact sum of a group's integers, however many (a BIGINT sum can overflow). */
  integerSum(value: string): string;
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
  hexFields: (fields) => `printf('${fields.map(([, w]) => `%0${w}X`).join('')}', ${fields.map(([v]) => v).join(', ')})`,
  unhex: (hex) => `unhex(${hex})`,
  bitCount: (value) => `bit_count(${value})`,
  xor: (a, b) => `xor(${a}, ${b})`,
  nullSafeEquals: (a, b) => `${a} IS NOT DISTINCT FROM ${b}`,
  shiftRight: (value, bits) => `(${value} >> ${bits})`,
  sortedConcat: (value) => `array_to_string(list_sort(list(${value})), '')`,
  // BIGINT sums into HUGEINT here: no overflow.
  integerSum: (value) => `sum(${value})`,
  sortedSum: (value) => `list_reduce(list_prepend(CAST(0 AS DOUBLE), list_sort(list(${value}) FILTER (WHERE ${value} IS NOT NULL))), (a, b) -> a + b)`,
  double: (x) => `CAST('${Object.is(x, -0) ? '-0.0' : String(x)}' AS DOUBLE)`,
  dateOfEpochDay: (day) => `(DATE '1970-01-01' + CAST(${day} AS INTEGER))`,
  toText: (value) => `CAST(${value} AS VARCHAR)`,
  type: (name) => name,
};

/**
 * Spark SQL 3.5, with the session settings the Spark engine sets (spark-session.ts): ANSI mode and
 * double-quoted identifiers (as DuckDB's), session time zone UTC. Relations are temp views the
 * engine registers, so readParquet is not used.
 */
export const sparkDialect: SqlDialect = {
  name: 'spark',
  readParquet: () => {
    throw new Error('the Spark engine registers its inputs as temp views (spark-engine.ts); readParquet is DuckDB-only');
  },
  epochMs: (ts) => `unix_millis(${ts})`,
  md5Hex: (text) => `md5(${text})`,
  hexToBigint: (hex) => `CAST(conv(${hex}, 16, 10) AS BIGINT)`,
  hexFields: (fields) => `concat(${fields.map(([v, w]) => `lpad(hex(${v}), ${w}, '0')`).join(', ')})`,
  unhex: (hex) => `unhex(${hex})`,
  bitCount: (value) => `bit_count(${value})`,
  xor: (a, b) => `(${a} ^ ${b})`,
  nullSafeEquals: (a, b) => `${a} <=> ${b}`,
  shiftRight: (value, bits) => `shiftright(${value}, ${bits})`,
  sortedConcat: (value) => `array_join(array_sort(collect_list(${value})), '')`,
  // ANSI mode raises on a BIGINT sum past 2^63 (1,024 values near the 2^53 bound): sum as DECIMAL(38).
  integerSum: (value) => `sum(CAST(${value} AS DECIMAL(38, 0)))`,
  sortedSum: (value) => `aggregate(array_sort(collect_list(${value})), CAST(0 AS DOUBLE), (acc, v) -> acc + v)`,
  double: (x) => `CAST('${Object.is(x, -0) ? '-0.0' : String(x)}' AS DOUBLE)`,
  dateOfEpochDay: (day) => `date_from_unix_date(CAST(${day} AS INT))`,
  toText: (value) => `CAST(${value} AS STRING)`,
  type: (name) => ({ BIGINT: 'BIGINT', DOUBLE: 'DOUBLE', BLOB: 'BINARY', VARCHAR: 'STRING', INTEGER: 'INT' })[name],
};
