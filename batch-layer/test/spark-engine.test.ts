/**
 * The Spark adapter where it can differ from DuckDB's: a sum of integers past BIGINT's range (ANSI
 * mode raises on overflow; DuckDB sums into HUGEINT) gives DuckDB's state, and a query Spark refuses
 * is a non-retriable error that leaves the session usable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LaminaError, RawRowsBuilder, compileViews, decodeParquet, deltaTypeOf, encodeParquet, rawTableSchema, schemaOf, silentLogger, validateConfig, viewRowsFromArrow, type BatchEngine, type GroupRow, type RawInput } from '@lamina/shared';
import { DuckDbEngine, SparkEngine } from '@lamina/batch-layer';
import { requireSpark } from '../../test/support/infra-env.js';

const spark = requireSpark();
const config = validateConfig({
  partitions: 1,
  eventTypes: { tx: { fields: { account: { type: 'string' }, cents: { type: 'integer' } } } },
  views: { totals: { source: 'tx', dimensions: ['account'], granularity: 'hour', measures: { n: { kind: 'count' }, total: { kind: 'sum', field: 'cents' }, mean: { kind: 'avg', field: 'cents' } } } },
  deduplication: { window: 'off' },
});
const BASE = Date.UTC(2026, 10, 20);

async function rawInput(dir: string): Promise<RawInput> {
  const columns = schemaOf('tx', config.eventTypes.tx!).fields;
  const schema = rawTableSchema(columns);
  const builder = new RawRowsBuilder(columns, 1);
  // 1,500 values per group at the largest integer an event may carry: each group's sum is past 2^63.
  for (let i = 0; i < 3_000; i++) builder.add({ id: `t${i}`, type: 'tx', ts: BASE + i * 100, data: { account: i % 2 ? 'a' : 'b', cents: Number.MAX_SAFE_INTEGER } }, { epoch: 0, partition: 0, offset: i, logTime: BASE });
  const files: string[] = [];
  for (const { day, table } of builder.tables()) {
    const path = join(dir, `raw-${day}.parquet`);
    await writeFile(path, await encodeParquet(table.select(schema.fields.filter((f) => f.name !== '_date').map((f) => f.name))));
    files.push(path);
  }
  return { eventType: 'tx', files, columns: new Map(schema.fields.filter((f) => f.name !== '_date').map((f) => [f.name, deltaTypeOf(f) as string])) };
}

async function states(engine: BatchEngine, input: RawInput, dir: string): Promise<string[]> {
  const view = compileViews(config)[0]!;
  const out = await engine.computeView({ view, inputs: [input], windows: [{ epoch: 0, from: [0], to: [3_000] }], outputDir: join(dir, engine.name) });
  const rows: GroupRow[] = [];
  for (const file of out) viewRowsFromArrow(view, await decodeParquet(await readFile(file.path), file.path), rows);
  return rows.map((r) => `${r.bucket} ${JSON.stringify(r.dims)} ${view.measures.map((m, i) => Buffer.from(m.measure.encode(r.states[i])).toString('hex')).join(' ')}`).sort();
}

test('Spark: integer sums past 2^63 equal DuckDB\'s; a refused query is not retriable and the session goes on', { skip: spark ? false : 'needs Spark', timeout: 300_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lamina-spark-'));
  const duck = await DuckDbEngine.open({ memoryLimit: '1GB', threads: 2, scratchDir: join(dir, 'duck'), logger: silentLogger });
  const sparkEngine = await SparkEngine.open({ master: 'local[2]', python: spark!.python, jars: spark!.jars, conf: {}, memoryLimit: '1GB', scratchDir: join(dir, 'spark'), logger: silentLogger });
  try {
    const input = await rawInput(dir);
    const expected = await states(duck, input, dir);
    assert.equal(expected.length, 2, "a group per account, in one hour");
    assert.deepEqual(await states(sparkEngine, input, dir), expected);

    const refused = await sparkEngine.missingReferences(input, [{ epoch: 0, from: [0], to: [3_000] }], 'no_such_column', input, 'account').then(
      () => assert.fail('a query over a missing column succeeded'),
      (error: unknown) => error,
    );
    assert.ok(refused instanceof LaminaError, String(refused));
    assert.equal(refused.code, 'ENGINE_QUERY_FAILED');
    assert.equal(refused.retriable, false);
    const profile = await sparkEngine.profileRaw(input, [{ epoch: 0, from: [0], to: [3_000] }], { columns: [{ name: 'cents', numeric: true }] });
    assert.equal(profile.rows, 3_000, 'the session answers after the refused query');
  } finally {
    await sparkEngine.close();
    await duck.close();
    await rm(dir, { recursive: true, force: true });
  }
});
