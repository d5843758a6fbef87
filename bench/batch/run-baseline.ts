/**
 * The baseline: the same grouping written by hand in DuckDB SQL (1 thread, DuckDB's own approximate
 * aggregates), over the same Parquet files Lamina's batch reads, written out as Parquet. Own process.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DeltaTable, LocalObjectStore, dataFileKey, lakeLayout } from '@lamina/shared';

const [dir, variant] = process.argv.slice(2);
// approx: the baseline; exact: DuckDB's exact quantile, a stronger reference on many small groups.
const quantile = variant === 'exact' ? 'quantile_disc(durationMs, 0.95)' : 'approx_quantile(durationMs, 0.95)';
const store = new LocalObjectStore({ root: join(dir!, 'lake') });
const table = DeltaTable.open(store, lakeLayout.rawTable('page_view'));
const files = (await table.snapshot()).files.map((f) => store.localPath(dataFileKey(table.tablePath, f.path)));
const out = join(dir!, 'baseline-out');
await mkdir(join(out, 'spill'), { recursive: true });
const started = performance.now();
const instance = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '3GB', temp_directory: join(out, 'spill'), preserve_insertion_order: 'false' });
const connection = await instance.connect();
const list = files.map((f) => `'${f}'`).join(', ');
await connection.run(`COPY (
  SELECT (epoch_ms(_ts) // 60000) * 60000 AS bucket_ms, url, country, count(*) AS views, approx_count_distinct(userId) AS visitors,
         ${quantile} AS p95DurationMs, avg(durationMs) AS avgDurationMs
  FROM read_parquet([${list}]) GROUP BY ALL
) TO '${join(out, 'pageviews.parquet')}' (FORMAT parquet, COMPRESSION zstd)`);
const rows = Number((await connection.runAndReadAll(`SELECT count(*) FROM '${join(out, 'pageviews.parquet')}'`)).getRows()[0]![0]);
const ms = performance.now() - started;
connection.closeSync();
instance.closeSync();
await rm(out, { recursive: true, force: true });
console.log(JSON.stringify({ ms, rows, files: files.length, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
