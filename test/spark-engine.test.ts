/**
 * The Spark engine against the DuckDB engine on one MinIO lake snapshot: a full run of each (Spark in
 * local[2], reading the raw files and writing its results through S3A) must give view tables — every
 * view, every roll-up, every date — of the same bytes, and the serving layer the same answers from
 * either generation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { BatchJob } from '@lamina/batch-layer';
import { DeltaTable, S3ObjectStore, createRegistry, dataFileKey, lakeLayout, silentLogger, validateConfig, type ObjectStore, type ViewTableRef } from '@lamina/shared';
import { InProcessLamina } from './support/in-process-lamina.js';
import { testConfig } from './support/test-config.js';
import { requireInfra, requireSpark } from './support/infra-env.js';

const infra = requireInfra();
const spark = requireSpark();
const DAY = Date.UTC(2026, 10, 20);

function events(): unknown[] {
  const urls = ['/', '/docs', '/pricing', '/blog/ünïcode', '/a?b=c'];
  const out: unknown[] = [];
  for (let i = 0; i < 2_400; i++) {
    out.push({ id: `pv-${i}`, type: 'page_view', ts: DAY + Math.floor(i * 107_977.3) % (3 * 86_400_000), data: { url: urls[i % 5], country: ['DE', 'FR', 'US', 'JP'][i % 4], userId: `u${(i * 7) % 311}`, durationMs: (i * 37) % 5_000 } });
  }
  for (let i = 0; i < 300; i++) {
    out.push({ id: `po-${i}`, type: 'purchase', ts: DAY + i * 797_000, data: { country: ['DE', 'US'][i % 2], userId: `u${i % 97}`, revenue: 0.1 * (i % 13) + 9.99, ...(i % 3 ? { coupon: 'VIP' } : {}) } });
  }
  // One hour of many fractional orders: a sum whose rounding depends on the order of its additions.
  for (let i = 0; i < 1_500; i++) {
    out.push({ id: `burst-${i}`, type: 'purchase', ts: DAY + 86_400_000 + i * 2_000, data: { country: 'DE', userId: `u${i % 50}`, revenue: ((i * 7_919) % 10_007) / 7 + 0.01, coupon: 'VIP' } });
  }
  // Copies of earlier events (deduplicated by id within the day): counted once by either engine.
  return [...out, ...out.slice(100, 160)];
}

const GQL = `{
  pageviews(granularity: ALL, groupBy: [url, country], orderBy: [{field: url, direction: ASC}, {field: country, direction: ASC}]) { url country views visitors p95DurationMs avgDurationMs maxDurationMs }
  hourly: pageviews(granularity: HOUR, groupBy: [country], orderBy: [{field: bucket, direction: ASC}, {field: country, direction: ASC}]) { bucket country views visitors }
  revenue(granularity: DAY, groupBy: [country, coupon], orderBy: [{field: bucket, direction: ASC}, {field: country, direction: ASC}, {field: coupon, direction: ASC}]) { bucket country coupon orders revenue minOrder }
  germanViews(granularity: ALL) { events people }
}`;

async function answers(lamina: InProcessLamina): Promise<unknown> {
  const response = await lamina.serving.yoga.fetch('http://lamina.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: GQL }) });
  const body = (await response.json()) as { data?: unknown; errors?: unknown };
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

/** Per `_date` of the table at the generation's version: the MD5 of each data file's bytes. */
async function fileDigests(store: ObjectStore, ref: Omit<ViewTableRef, 'rollups'>): Promise<Map<string, string[]>> {
  const snapshot = await DeltaTable.open(store, ref.table).snapshot(ref.version);
  const out = new Map<string, string[]>();
  for (const file of snapshot.files) {
    const day = file.partitionValues._date ?? '';
    const digest = createHash('md5').update(await store.get(dataFileKey(ref.table, file.path))).digest('hex');
    out.set(day, [...(out.get(day) ?? []), digest].sort());
  }
  return out;
}

test('Spark (local[2]) and DuckDB compute byte-identical view tables from one MinIO lake snapshot; serving answers alike from either', { skip: infra && spark ? false : 'needs MinIO and Spark', timeout: 300_000 }, async () => {
  const config = testConfig();
  const store = new S3ObjectStore({ ...infra!.s3, prefix: `lamina-test/spark-${randomUUID().slice(0, 8)}` });
  const lamina = await InProcessLamina.start(config, { store });
  try {
    assert.equal((await lamina.serving.ingest.ingest(events())).accepted, 4_260);
    await lamina.archiver.catchUp();
    const duck = await lamina.runBatch();
    assert.equal(duck.events, 4_260, "every accepted event is in the lake (copies too: views drop them)");
    const duckAnswers = await answers(lamina);

    const sparkConfig = validateConfig({ ...config, batch: { ...config.batch, engine: 'spark', spark: { master: 'local[2]', python: spark!.python, jars: spark!.jars, conf: {} } } });
    const job = new BatchJob({ config: sparkConfig, store, logger: silentLogger, registry: createRegistry(), scratchDir: join(lamina.dir, 'spark-scratch') });
    const sparked = await job.run({ full: true, trigger: 'spark engine test' });
    assert.equal(sparked.generation, duck.generation + 1);
    assert.equal(sparked.events, duck.events);
    assert.deepEqual(sparked.watermark, duck.watermark, 'the same lake snapshot');
    const left = [];
    for await (const o of store.list(lakeLayout.engineScratchPrefix)) left.push(o.key);
    assert.deepEqual(left, [], "Spark's results (written through S3A) are collected and deleted");

    let tables = 0;
    for (const [name, ref] of Object.entries(duck.views)) {
      const other = sparked.views[name]!;
      const pairs: [string, Omit<ViewTableRef, 'rollups'>, Omit<ViewTableRef, 'rollups'>][] = [[name, ref, other]];
      for (const grain of ['hour', 'day'] as const) if (ref.rollups?.[grain]) pairs.push([`${name}@${grain}`, ref.rollups[grain]!, other.rollups![grain]!]);
      for (const [label, a, b] of pairs) {
        assert.notEqual(b.version, a.version, `${label}: the Spark run wrote its own version`);
        assert.equal(b.rows, a.rows, `${label}: rows`);
        const [da, db] = [await fileDigests(store, a), await fileDigests(store, b)];
        assert.ok(da.size >= 1, `${label}: has files`);
        assert.deepEqual(db, da, `${label}: the same bytes per date`);
        tables++;
      }
    }
    assert.ok(tables >= 3, `compared ${tables} view tables`);

    await lamina.serving.generations.refresh();
    assert.deepEqual(await answers(lamina), duckAnswers);
  } finally {
    await lamina.stop();
    for await (const o of store.list('')) await store.delete(o.key);
    store.destroy();
  }
});
