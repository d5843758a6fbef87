/**
 * The queries behind the engine port's facts about raw tables (the complete-read count, the quality
 * gates' profile, the referential gate), written once through the dialect so every engine asks the
 * same question.
 */
import type { OffsetWindow, RawProfile, RawProfileRequest, RawScan } from '@lamina/shared';
import type { SqlDialect } from './dialect.js';
import { quoteIdent } from './literals.js';
import { windowPredicate } from './window-predicate.js';

/** One row: n (rows of the windows), t (newest `_log_ts`, ms, or null), d (rows of `copies`, or 0). */
export function rawScanSql(dialect: SqlDialect, relation: string, windows: readonly OffsetWindow[], copies?: string): string {
  const counted = copies ? `(SELECT count(*) FROM ${copies})` : '0';
  return `SELECT count(*) AS n, max(${dialect.epochMs('_log_ts')}) AS t, ${counted} AS d FROM ${relation} AS r WHERE ${windowPredicate(windows)}`;
}

/** The scan's facts from rawScanSql's row (numbers may come as BigInt or number, per engine). */
export function rawScanOf(row: readonly unknown[], copies: string | undefined): RawScan {
  const [n, t, d] = row;
  return { rows: Number(n), maxLogTime: t === null ? null : Number(t), duplicates: Number(d), ...(copies ? { copies } : {}) };
}

/** One row: rows, newest `_ts` (ms), then per requested column its nulls and its mean (null unless numeric). */
export function rawProfileSql(dialect: SqlDialect, relation: string, windows: readonly OffsetWindow[], request: RawProfileRequest): string {
  const double = dialect.type('DOUBLE');
  const exprs = request.columns.flatMap((c, i) => {
    const column = quoteIdent(c.name);
    return [`count(*) - count(${column}) AS n${i}`, c.numeric ? `CAST(avg(${column}) AS ${double}) AS m${i}` : `CAST(NULL AS ${double}) AS m${i}`];
  });
  return `SELECT count(*) AS n, max(${dialect.epochMs('_ts')}) AS t${exprs.map((e) => `, ${e}`).join('')} FROM ${relation} AS r WHERE ${windowPredicate(windows)}`;
}

/** The profile from rawProfileSql's row. */
export function rawProfileOf(row: readonly unknown[], request: RawProfileRequest): RawProfile {
  const columns: RawProfile['columns'] = {};
  request.columns.forEach((c, i) => {
    const mean = row[3 + 2 * i];
    columns[c.name] = { nulls: Number(row[2 + 2 * i]), mean: mean === null ? null : Number(mean) };
  });
  return { rows: Number(row[0]), maxEventTime: row[1] === null ? null : Number(row[1]), columns };
}

/**
 * The referential gate: `counts` gives one row (checked, missing); `examples` up to five missing
 * values as text, in order.
 */
export function missingReferencesSql(dialect: SqlDialect, relation: string, windows: readonly OffsetWindow[], column: string, referenced: string, referencedColumn: string): { counts: string; examples: string } {
  const c = quoteIdent(column);
  const checked = `SELECT ${c} AS v FROM ${relation} AS r WHERE ${windowPredicate(windows)} AND ${c} IS NOT NULL`;
  const missing = `SELECT v FROM (${checked}) AS x WHERE NOT EXISTS (SELECT 1 FROM ${referenced} AS k WHERE k.${quoteIdent(referencedColumn)} = x.v)`;
  return {
    counts: `SELECT (SELECT count(*) FROM (${checked}) AS a) AS checked, (SELECT count(*) FROM (${missing}) AS b) AS missing`,
    examples: `SELECT DISTINCT ${dialect.toText('v')} AS v FROM (${missing}) AS m ORDER BY 1 LIMIT 5`,
  };
}
