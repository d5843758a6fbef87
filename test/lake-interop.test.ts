/**
 * The lake without Lamina: an independent reader (delta-rs, from PyPI) reads every raw, quarantine
 * and view table with its typed, evolved schema and the rows Lamina says it holds; and a DuckDB query
 * over the raw tables' Parquet files gives the numbers Lamina answers for the batch part.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { DeltaTable, dataFileKey, lakeLayout, type GenerationManifest, type LocalObjectStore } from '@lamina/shared';
import { InProcessLamina } from './support/in-process-lamina.js';
import { evolvedTestConfigs } from './support/test-config.js';
import { requirePython } from './support/infra-env.js';

const python = requirePython();
const run = promisify(execFile);

interface Described {
  version: number;
  schema: Record<string, string>;
  partitionColumns: string[];
  rows: number;
  sums: Record<string, number>;
  distinct: Record<string, number>;
}

const day = Date.UTC(2026, 10, 20);
const pv = (i: number, plan?: string) => ({
  id: `pv-${i}`, type: 'page_view', ts: day + (i % 3) * 86_400_000 + i * 60_000,
  data: { url: ['/', '/docs', '/pricing'][i % 3], country: ['DE', 'FR'][i % 2], userId: `u${i % 17}`, durationMs: 10 * i, ...(plan ? { plan } : {}) },
});
const purchase = (i: number) => ({ id: `po-${i}`, type: 'purchase', ts: day + i * 3_600_000, data: { country: ['DE', 'US'][i % 2], userId: `u${i}`, revenue: 9.99 + i, ...(i % 3 ? { coupon: 'VIP' } : {}) } });

test('delta-rs reads every table with its evolved schema; DuckDB over the raw tables equals the batch answers', { skip: python ? false : 'no Python with delta-rs', timeout: 180_000 }, async () => {
  const [v1, v2] = evolvedTestConfigs();
  const lamina = await InProcessLamina.start(v1!);
  try {
    await lamina.serving.ingest.ingest([...Array.from({ length: 60 }, (_, i) => pv(i)), ...Array.from({ length: 12 }, (_, i) => purchase(i))]);
    await lamina.log.produce('events', [{ key: null, value: 'not json' }, { key: 'k', value: '{"id":"x","type":"page_view"}' }]);
    await lamina.archiver.catchUp();
    await lamina.runBatch();
    await lamina.restart(v2!);
    await lamina.serving.ingest.ingest(Array.from({ length: 30 }, (_, i) => pv(100 + i, i % 2 ? 'pro' : undefined)));
    await lamina.archiver.catchUp();
    assert.equal((await lamina.runBatch()).mode, 'incremental');
    await lamina.serving.ingest.ingest(Array.from({ length: 10 }, (_, i) => pv(200 + i, 'pro')));
    await lamina.archiver.catchUp();
    const manifest: GenerationManifest = await lamina.runBatch();
    assert.equal(manifest.events, 112);

    const root = (lamina.store as LocalObjectStore).root;
    const raw = (type: string) => ({ path: join(root, lakeLayout.rawTable(type)), version: null });
    const views = Object.entries(manifest.views).map(([name, ref]) => ({ name, path: join(root, ref.table), version: ref.version }));
    const tables = [raw('page_view'), raw('purchase'), { path: join(root, lakeLayout.quarantineTable), version: null }, ...views];
    const { stdout } = await run(python!, [join('shared', 'test', 'interop', 'describe_tables.py'), JSON.stringify(tables)], { maxBuffer: 64 * 2 ** 20 });
    const described = JSON.parse(stdout) as Record<string, Described>;

    const pageView = described[raw('page_view').path]!;
    assert.deepEqual(pageView.partitionColumns, ['_date']);
    assert.equal(pageView.rows, 100);
    for (const [column, type] of Object.entries({ _id: 'string', _ts: 'timestamp', _date: 'date', _key: 'string', _epoch: 'integer', _partition: 'integer', _offset: 'long', _log_ts: 'timestamp', _schema_version: 'integer', _extra: 'string', url: 'string', durationMs: 'long', plan: 'string' })) {
      assert.equal(pageView.schema[column], type, `page_view.${column}`);
    }
    assert.equal(pageView.distinct._schema_version, 2, 'rows of both schema versions');
    assert.equal(pageView.distinct.plan, 3, 'plan: null in the v1 files (read as the default by views), the default free, and pro');
    assert.equal(described[raw('purchase').path]!.schema.revenue, 'double');
    assert.equal(described[raw('purchase').path]!.rows, 12);
    assert.equal(described[join(root, lakeLayout.quarantineTable)]!.rows, 2);

    const expectedCounts: Record<string, [string, number]> = { pageviews: ['views', 100], revenue: ['orders', 12], germanViews: ['events', 56], byPlan: ['n', 100] };
    for (const v of views) {
      const d = described[v.path]!;
      assert.equal(d.version, v.version);
      assert.equal(d.rows, manifest.views[v.name]!.rows, `${v.name}: rows at the generation's version`);
      assert.deepEqual(d.partitionColumns, ['_date']);
      const [column, count] = expectedCounts[v.name]!;
      assert.equal(d.sums[column], count, `${v.name}: the counts in the view table add up`);
    }
    assert.equal(described[views.find((v) => v.name === 'pageviews')!.path]!.schema.visitors__hll, 'binary');
    assert.equal(described[views.find((v) => v.name === 'revenue')!.path]!.schema.maxOrder, 'double', 'the measure v2 added');

    // DuckDB over the raw Parquet files (as a data engineer would query the lake) vs Lamina's answer.
    await lamina.waitForRealtime();
    const answer = await lamina.serving.queries.query('pageviews', { granularity: 'all' });
    assert.equal(answer.meta.realtimeLagRecords, 0);
    const table = DeltaTable.open(lamina.store, lakeLayout.rawTable('page_view'));
    const files = (await table.snapshot()).files.map((f) => `'${(lamina.store as LocalObjectStore).localPath(dataFileKey(table.tablePath, f.path))}'`);
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const result = await duck.runAndReadAll(`SELECT url, country, count(*) AS views, max(durationMs) AS maxMs, avg(durationMs) AS avgMs FROM read_parquet([${files.join(', ')}], union_by_name = true) GROUP BY url, country ORDER BY url, country`);
    const fromDuckDb = result.getRowObjectsJson().map((r) => ({ url: r.url, country: r.country, views: Number(r.views), maxMs: Number(r.maxMs), avgMs: Number(r.avgMs) }));
    const fromLamina = answer.rows.map((r) => ({ url: r.dims.url, country: r.dims.country, views: r.values.views, maxMs: r.values.maxDurationMs, avgMs: r.values.avgDurationMs }));
    assert.deepEqual(fromLamina, fromDuckDb);
    duck.closeSync();
  } finally {
    await lamina.stop();
  }
});
