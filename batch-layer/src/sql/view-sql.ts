/**
 * A view compiled to one SQL query over its source raw tables: the rows of the view table, one per
 * (bucket, dimensions), with the measure states exactly as the TypeScript fold builds them
 * (state-columns.ts). The sketch states are assembled as bytes in SQL from hex text, which every
 * engine does alike; their layout is documented in hyperloglog.ts and ddsketch.ts.
 */
import {
  DDSKETCH_KEY_MULTIPLIER,
  DDSKETCH_KEY_OFFSET,
  DDSKETCH_MAX_KEY,
  DDSKETCH_MIN_INDEXABLE,
  DDSKETCH_MIN_KEY,
  HLL_MAX_RANK,
  MEASURE_FORMAT,
  columnOf,
  stateColumns,
  type CompiledMeasure,
  type CompiledView,
  type OffsetWindow,
  type ViewField,
} from '@lamina/shared';
import type { SqlDialect } from './dialect.js';
import { literalOf, quoteIdent } from './literals.js';
import { windowPredicate } from './window-predicate.js';

const GRANULARITY_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const DAY_MS = 86_400_000;

export interface ViewSqlInput {
  view: CompiledView;
  /** One relation (SQL text) per source event type, holding at least the columns the view reads. */
  sources: readonly string[];
  windows: readonly OffsetWindow[];
  /**
   * With deduplication on (view.deduplication): the positions an earlier copy of an event may be at —
   * the generation's whole coverage. The sources must then hold every row of the dates they cover
   * in it, not only the window's, so that a copy in the window is recognised as one.
   */
  dedupScope?: readonly OffsetWindow[];
  /** Per source: the later copies' positions among the windows' rows, already found (see laterCopies). */
  copies?: readonly (string | undefined)[];
  /** The table of DDSketch bounds: (key INTEGER, lower DOUBLE, upper DOUBLE), see ddsketch-bounds.ts. */
  boundsTable: string;
}

const hexByte = (format: number) => format.toString(16).padStart(2, '0');

function valueOf(field: ViewField, dialect: SqlDialect): string {
  const column = quoteIdent(columnOf(field.path));
  return field.default === undefined ? column : `coalesce(${column}, ${literalOf(dialect, field.type, field.default)})`;
}

/** The SELECT that yields the view table's columns (bucket_ms, dimensions, state columns, _date). */
export function viewSql(dialect: SqlDialect, input: ViewSqlInput): string {
  const { view } = input;
  const g = GRANULARITY_MS[view.granularity as keyof typeof GRANULARITY_MS];
  if (g === undefined) throw new Error(`view ${view.name}: no SQL bucket for granularity ${view.granularity}`);
  const dims = view.dimensionFields.map((_, i) => `d${i}`);
  const keys = ['b', ...dims].join(', ');
  const fields = new Map<string, ViewField>();
  for (const f of [...view.dimensionFields, ...view.measures.flatMap((m) => (m.field ? [m.field] : [])), ...(view.filter ? [view.filter.field] : [])]) fields.set(f.path, f);
  const needed = ['_ts', ...[...fields.keys()].map((p) => quoteIdent(columnOf(p)))].join(', ');
  const where = windowPredicate(input.windows);
  const union = input.sources.map((relation, i) => `SELECT ${needed} FROM ${relation} AS r${i} WHERE ${where}${notACopy(dialect, view, relation, i, input.windows, input.dedupScope, input.copies?.[i])}`).join('\n    UNION ALL\n    ');
  const filter = view.filter ? `WHERE ${valueOf(view.filter.field, dialect)} IN (${view.filter.values.map((v) => literalOf(dialect, view.filter!.field.type, v)).join(', ')})` : '';

  const evColumns = [
    `(t - (((t % ${g}) + ${g}) % ${g})) AS b`,
    ...view.dimensionFields.map((f, i) => `${dialect.toText(valueOf(f, dialect))} AS d${i}`),
    ...view.measures.flatMap((m, i) => (m.field ? [`${valueOf(m.field, dialect)} AS x${i}`] : [])),
  ];
  const ev = `SELECT ${evColumns.join(', ')} FROM (SELECT ${dialect.epochMs('_ts')} AS t, * FROM (\n    ${union}\n  ) AS s) AS s2 ${filter}`;

  // The scalar states in one GROUP BY; each sketch in its own (at a finer grain first), joined on the keys.
  const scalarColumns: string[] = [];
  const sketches: { name: string; sql: string; empty: string }[] = [];
  view.measures.forEach((m, i) => {
    const columns = stateColumns(m.name, m.measure);
    const exprs = scalarStates(m, i, dialect);
    if (exprs) {
      columns.forEach((c, j) => scalarColumns.push(`${exprs[j]} AS ${quoteIdent(c.name)}`));
      return;
    }
    const distinct = m.measure.kind === 'distinct';
    const format = distinct ? MEASURE_FORMAT.hyperloglog : MEASURE_FORMAT.ddsketch;
    sketches.push({
      name: columns[0]!.name,
      sql: distinct ? hllState(i, dims, dialect) : ddsketchState(i, dims, dialect, input.boundsTable),
      empty: dialect.unhex(`'${hexByte(format)}'`),
    });
  });
  const ctes = [`ev AS (\n  ${ev}\n)`, `base AS (\n  SELECT ${keys}${scalarColumns.map((c) => `, ${c}`).join('')} FROM ev GROUP BY ${keys}\n)`, ...sketches.map((sk, i) => `s${i} AS (\n  ${sk.sql}\n)`)];
  const joins = sketches.map((_, i) => `LEFT JOIN s${i} ON s${i}.b = base.b${dims.map((d) => ` AND ${dialect.nullSafeEquals(`s${i}.${d}`, `base.${d}`)}`).join('')}`);
  const finalColumns = [
    'base.b AS bucket_ms',
    ...view.dimensions.map((d, i) => `base.d${i} AS ${quoteIdent(columnOf(d))}`),
    ...view.measures.flatMap((m) => stateColumns(m.name, m.measure).map((c) => c.name)).map((name) => {
      const i = sketches.findIndex((sk) => sk.name === name);
      return i < 0 ? `base.${quoteIdent(name)}` : `coalesce(s${i}.state, ${sketches[i]!.empty}) AS ${quoteIdent(name)}`;
    }),
    `${dialect.dateOfEpochDay(`floor(base.b / ${DAY_MS})`)} AS _date`,
  ];
  return `WITH ${ctes.join(',\n')}\nSELECT ${finalColumns.join(', ')}\nFROM base ${joins.join(' ')}`;
}

/** Deduplicating: the condition that a row of the windows is no later copy of an event (events/duplicates.ts). */
function notACopy(dialect: SqlDialect, view: CompiledView, relation: string, i: number, windows: readonly OffsetWindow[], scope: readonly OffsetWindow[] | undefined, found: string | undefined): string {
  if (view.deduplication === null) return '';
  if (scope === undefined) throw new Error(`view ${view.name}: deduplicating needs the dedup scope (the generation's coverage)`);
  const copies = found === undefined ? laterCopies(dialect, view.deduplication, relation, `d${i}`, windows, scope) : `SELECT _epoch, _partition, _offset FROM ${found}`;
  return ` AND NOT EXISTS (SELECT 1 FROM (${copies}) AS lc${i} WHERE lc${i}._epoch = r${i}._epoch AND lc${i}._partition = r${i}._partition AND lc${i}._offset = r${i}._offset)`;
}

/**
 * The positions (_epoch, _partition, _offset) of the rows of the windows that are later copies: rows
 * ranked by log position per (_partition, _id, window bucket of _ts) over the scope, rank 2 and on.
 * A run whose windows are not its whole scope (an incremental one) ranks only the ids its windows
 * hold — a semi-join that reads the other rows' few key columns, not the rows.
 */
export function laterCopies(dialect: SqlDialect, window: 'hour' | 'day', relation: string, alias: string, windows: readonly OffsetWindow[], scope: readonly OffsetWindow[], windowRelation = relation): string {
  const whole = JSON.stringify(windows) === JSON.stringify(scope);
  // `windowRelation`: the windows' own files, when the caller has them apart — their ids are read from those alone.
  const ids = whole ? '' : ` AND EXISTS (SELECT 1 FROM ${windowRelation} AS ${alias}w WHERE ${windowPredicate(windows)} AND ${alias}w._partition = ${alias}._partition AND ${alias}w._id = ${alias}._id)`;
  const ranked = `SELECT _epoch, _partition, _offset, row_number() OVER (PARTITION BY _partition, _id, ${dedupBucket(dialect, window)} ORDER BY _epoch, _offset) AS _copy FROM ${relation} AS ${alias} WHERE ${windowPredicate(scope)}${ids}`;
  return `SELECT _epoch, _partition, _offset FROM (${ranked}) AS ${alias}r WHERE _copy > 1 AND ${windowPredicate(windows)}`;
}

/** The start (ms) of the dedup window an event time falls in. */
export function dedupBucket(dialect: SqlDialect, window: 'hour' | 'day'): string {
  const g = GRANULARITY_MS[window];
  const t = dialect.epochMs('_ts');
  return `(${t} - (((${t} % ${g}) + ${g}) % ${g}))`;
}

/** The aggregate expressions of a scalar measure's state columns, or undefined for sketches. */
function scalarStates(m: CompiledMeasure, i: number, dialect: SqlDialect): string[] | undefined {
  const x = `x${i}`;
  const double = dialect.type('DOUBLE');
  // A sum of fractions rounds by the order of its additions, which threads and engines choose
  // differently; added in ascending order, it is the same double on every engine and every run
  // (whole numbers add exactly in any order).
  const sum = m.field?.type === 'number' ? dialect.sortedSum(x) : `coalesce(${dialect.integerSum(x)}, 0)`;
  switch (m.measure.kind) {
    case 'count':
      return ['count(*)'];
    case 'sum':
      return [`CAST(${sum} AS ${double})`];
    case 'min':
      return [`CAST(min(${x}) AS ${double})`];
    case 'max':
      return [`CAST(max(${x}) AS ${double})`];
    case 'avg':
      return [`CAST(${sum} AS ${double})`, `count(${x})`];
    default:
      return undefined;
  }
}

/** HyperLogLog registers (hyperloglog.ts): register = top 14 bits of the MD5, rank from the next 48. */
function hllState(i: number, dims: string[], dialect: SqlDialect): string {
  const keys = ['b', ...dims].join(', ');
  const hashed = `SELECT ${keys}, ${dialect.md5Hex(dialect.toText(`x${i}`))} AS h FROM ev WHERE x${i} IS NOT NULL`;
  const split = `SELECT ${keys}, h, ${dialect.hexToBigint('substr(h, 5, 12)')} AS w FROM (${hashed}) AS h1`;
  const ranked = `SELECT ${keys}, ${dialect.shiftRight(dialect.hexToBigint('substr(h, 1, 4)'), 2)} AS r, CASE WHEN w = 0 THEN ${HLL_MAX_RANK} ELSE ${dialect.bitCount(dialect.xor('w', 'w - 1'))} END AS k FROM (${split}) AS h2`;
  const registers = `SELECT ${keys}, r, max(k) AS k FROM (${ranked}) AS h3 GROUP BY ${keys}, r`;
  // Fixed-width entries that start with the register: sorting the text sorts by register.
  const entry = dialect.hexFields([['r * 64 + k', 6]]);
  return `SELECT ${keys}, ${dialect.unhex(`'${hexByte(MEASURE_FORMAT.hyperloglog)}' || ${dialect.sortedConcat(entry)}`)} AS state FROM (${registers}) AS h4 GROUP BY ${keys}`;
}

/** DDSketch bins (ddsketch.ts): key estimated by ln, corrected by exact comparison with the bounds table. */
function ddsketchState(i: number, dims: string[], dialect: SqlDialect, boundsTable: string): string {
  const keys = ['b', ...dims].join(', ');
  const min = dialect.double(DDSKETCH_MIN_INDEXABLE);
  const x = `CAST(x${i} AS ${dialect.type('DOUBLE')})`;
  const stored = `SELECT ${keys}, abs(${x}) AS a, CASE WHEN ${x} >= ${min} THEN 2 WHEN ${x} <= -${min} THEN 0 ELSE 1 END AS st FROM ev WHERE x${i} IS NOT NULL`;
  // ln of 1 for the zero bin: its key is 0 whatever the estimate, and ln(0) would be -Infinity.
  const estimate = `greatest(${DDSKETCH_MIN_KEY + 1}, least(${DDSKETCH_MAX_KEY}, CAST(ceil(ln(CASE WHEN st = 1 THEN ${dialect.double(1)} ELSE a END) * ${dialect.double(DDSKETCH_KEY_MULTIPLIER)}) AS ${dialect.type('INTEGER')})))`;
  const estimated = `SELECT ${keys}, st, a, ${estimate} AS k0 FROM (${stored}) AS q1`;
  const keyed = `SELECT ${keys}, st, CASE WHEN st = 1 THEN 0 WHEN a <= bd.lower THEN k0 - 1 WHEN a > bd.upper THEN k0 + 1 ELSE k0 END AS key FROM (${estimated}) AS q2 LEFT JOIN ${boundsTable} AS bd ON bd.key = q2.k0`;
  const bins = `SELECT ${keys}, st, key, count(*) AS c FROM (${keyed}) AS q3 GROUP BY ${keys}, st, key`;
  // Fixed-width entries that start with (store, key), unique in a group: sorting the text sorts the bins.
  const entry = dialect.hexFields([[`st * ${2 ** 24} + key + ${DDSKETCH_KEY_OFFSET}`, 8], ['c', 16]]);
  return `SELECT ${keys}, ${dialect.unhex(`'${hexByte(MEASURE_FORMAT.ddsketch)}' || ${dialect.sortedConcat(entry)}`)} AS state FROM (${bins}) AS q4 GROUP BY ${keys}`;
}
