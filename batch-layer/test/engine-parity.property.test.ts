/**
 * One definition, three engines: for random events (unicode, edge numbers, missing optional values,
 * defaults, duplicates, many small groups), the SQL of every view — run by DuckDB, and (fewer runs,
 * local[2]) by Spark — gives the same states as the TypeScript fold of the speed layer — byte for byte for sketches, exactly for counts, integer sums,
 * min and max; float sums within rounding (relative 1e-9 of the sum of magnitudes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  EventValidator,
  RawRowsBuilder,
  ViewAggregate,
  compileViews,
  decodeParquet,
  deltaTypeOf,
  encodeParquet,
  groupKey,
  rawTableSchema,
  schemaOf,
  silentLogger,
  validateConfig,
  duplicateKey,
  viewRowsFromArrow,
  type BatchEngine,
  type CompiledView,
  type GroupRow,
  type LaminaEvent,
} from '@lamina/shared';
import { DuckDbEngine, SparkEngine } from '@lamina/batch-layer';
import { requireSpark } from '../../test/support/infra-env.js';

const config = validateConfig({
  partitions: 3,
  eventTypes: {
    hit: {
      fields: {
        page: { type: 'string' },
        'geo.country': { type: 'string', optional: true },
        user: { type: 'string', optional: true },
        latency: { type: 'number', optional: true },
        amount: { type: 'number', optional: true },
        items: { type: 'integer', optional: true, default: 1 },
        mobile: { type: 'boolean', optional: true },
      },
    },
    order: { fields: { page: { type: 'string' }, user: { type: 'string' }, amount: { type: 'number' }, items: { type: 'integer', optional: true, default: 1 } } },
  },
  views: {
    all: {
      source: 'hit',
      dimensions: ['page', 'geo.country', 'mobile'],
      granularity: 'minute',
      measures: {
        n: { kind: 'count' },
        users: { kind: 'distinct', field: 'user' },
        itemCodes: { kind: 'distinct', field: 'items' },
        p50: { kind: 'quantile', field: 'latency', q: 0.5 },
        p99items: { kind: 'quantile', field: 'items', q: 0.99 },
        total: { kind: 'sum', field: 'amount' },
        itemSum: { kind: 'sum', field: 'items' },
        lo: { kind: 'min', field: 'latency' },
        hi: { kind: 'max', field: 'latency' },
        mean: { kind: 'avg', field: 'amount' },
      },
    },
    both: {
      source: ['hit', 'order'],
      filter: { field: 'page', in: ['/', '/ü', '/🎉'] },
      granularity: 'hour',
      measures: { n: { kind: 'count' }, users: { kind: 'distinct', field: 'user' }, items: { kind: 'sum', field: 'items' } },
    },
    byItems: { source: 'order', dimensions: ['items'], measures: { n: { kind: 'count' }, spent: { kind: 'avg', field: 'amount' } } },
  },
});

const BASE = Date.UTC(2026, 10, 20);
const page = fc.constantFrom('/', '/ü', '/🎉', '/a b', "/it's", '');
const edgeNumber = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, Number.MIN_VALUE, -Number.MIN_VALUE, 2 ** -1000, 2 ** -1001, Number.MAX_VALUE, -Number.MAX_VALUE, 1, 1.01 / 0.99, (1.01 / 0.99) ** 2),
  fc.integer({ min: -1000, max: 100_000 }),
);
const money = fc.integer({ min: -1_000_000, max: 1_000_000 }).map((c) => c / 100);
const user = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constantFrom('u1', 'u2', 'ü', '日本'));
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
const hit = fc.record({
  type: fc.constant('hit'),
  minute: fc.integer({ min: 0, max: 3 * 24 * 60 }),
  data: fc.record({
    page,
    geo: optional(fc.record({ country: optional(fc.constantFrom('DE', 'FR', 'ÅLAND')) })),
    user: optional(user),
    latency: optional(edgeNumber),
    amount: optional(money),
    items: optional(fc.integer({ min: -5, max: 2 ** 40 })),
    mobile: optional(fc.boolean()),
  }),
});
const order = fc.record({
  type: fc.constant('order'),
  minute: fc.integer({ min: 0, max: 3 * 24 * 60 }),
  data: fc.record({ page, user, amount: money, items: optional(fc.integer({ min: 0, max: 20 })) }),
});

const floatSums = new Set(['total', 'mean', 'spent']);

function foldTs(view: CompiledView, events: readonly LaminaEvent[]): Map<string, GroupRow> {
  const aggregate = new ViewAggregate(view);
  for (const e of events) aggregate.add(e);
  return new Map([...aggregate.rows()].map((r) => [groupKey(r.bucket, r.dims), r]));
}

function magnitudes(view: CompiledView, events: readonly LaminaEvent[]): Map<string, number[]> {
  // Per group and measure, the sum of |value|: the scale float-sum rounding is measured against.
  const out = new Map<string, number[]>();
  for (const e of events) {
    if (!view.matches(e)) continue;
    const key = groupKey(view.bucketOf(e), view.dimensionValues(e));
    const row = out.get(key) ?? view.measures.map(() => 0);
    view.measures.forEach((m, i) => {
      const v = m.field ? (e.data[m.field.path] as number | undefined) : undefined;
      if (typeof v === 'number') row[i] = row[i]! + Math.abs(v);
    });
    out.set(key, row);
  }
  return out;
}

const spark = requireSpark();

test('DuckDB SQL and the TypeScript fold build identical states for every measure', { timeout: 600_000 }, async () => {
  await parity((scratchDir) => DuckDbEngine.open({ memoryLimit: '1GB', threads: 2, scratchDir, logger: silentLogger }), Number(process.env.LAMINA_PROPERTY_RUNS ?? 25));
});

test('Spark SQL (local[2]) and the TypeScript fold build identical states for every measure', { skip: spark ? false : 'needs Spark', timeout: 600_000 }, async () => {
  await parity((scratchDir) => SparkEngine.open({ master: 'local[2]', python: spark!.python, jars: spark!.jars, conf: {}, memoryLimit: '1GB', threads: 2, scratchDir, logger: silentLogger }), Number(process.env.LAMINA_PROPERTY_RUNS_SPARK ?? 4));
});

async function parity(open: (scratchDir: string) => Promise<BatchEngine>, numRuns: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lamina-parity-'));
  const engine = await open(join(dir, 'scratch'));
  const validator = new EventValidator(config);
  const views = compileViews(config);
  let run = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(hit, order), { minLength: 1, maxLength: 120 }), fc.integer({ min: 1, max: 4 }), async (drafts, filesPerType) => {
        run++;
        const events: LaminaEvent[] = [];
        const positions: { partition: number; offset: number }[] = [];
        const next = [0, 0, 0];
        drafts.forEach((d, i) => {
          // Every fifth event again with a new id (another event). Every seventh again with its id: in
          // its partition a minute later (a copy, dropped unless that crosses into the next day) and
          // in another partition (another event: deduplication is per partition).
          for (const copy of i % 5 === 0 ? [0, 1] : i % 7 === 0 ? [0, 2, 3] : [0]) {
            const id = copy === 1 ? `e${i}-1` : `e${i}`;
            const ts = BASE + d.minute * 60_000 + (i % 60) * 1000 + (copy === 2 ? 60_000 : 0);
            const result = validator.validate({ id, type: d.type, ts, data: d.data });
            if (!result.ok) continue;
            const partition = (i + (copy === 1 || copy === 3 ? 1 : 0)) % 3;
            events.push(result.event);
            positions.push({ partition, offset: next[partition]!++ });
          }
        });
        // What the views count: the first copy per (partition, duplicate key), in offset order.
        const seen = new Set<string>();
        const counted = events.filter((e, i) => {
          const key = `${positions[i]!.partition}\u0000${duplicateKey(e.type, e.id, e.ts, 'day')}`;
          if (seen.has(key)) return false;
          seen.add(key);
          return true;
        });
        const inputs = new Map<string, { files: string[]; columns: Map<string, string> }>();
        for (const type of ['hit', 'order']) {
          const columns = schemaOf(type, config.eventTypes[type]!).fields;
          const schema = rawTableSchema(columns);
          const dataColumns = new Map(schema.fields.filter((f) => f.name !== '_date').map((f) => [f.name, deltaTypeOf(f) as string]));
          const files: string[] = [];
          const mine = events.map((e, i) => ({ e, p: positions[i]! })).filter((x) => x.e.type === type);
          for (let f = 0; f < filesPerType; f++) {
            const builder = new RawRowsBuilder(columns, 1);
            mine.filter((_, i) => i % filesPerType === f).forEach(({ e, p }) => builder.add(e, { epoch: 0, ...p, logTime: BASE }));
            for (const { day, table } of builder.tables()) {
              const path = join(dir, `r${run}-${type}-${f}-${day}.parquet`);
              await writeFile(path, await encodeParquet(table.select(schema.fields.filter((x) => x.name !== '_date').map((x) => x.name))));
              files.push(path);
            }
          }
          inputs.set(type, { files, columns: dataColumns });
        }
        for (const view of views) {
          const outputDir = join(dir, `out-${run}-${view.name}`);
          const out = await engine.computeView({
            view,
            inputs: view.sources.map((type) => ({ eventType: type, ...inputs.get(type)! })),
            windows: [{ epoch: 0, from: [0, 0, 0], to: next }],
            dedupScope: [{ epoch: 0, from: [0, 0, 0], to: next }],
            outputDir,
          });
          const sqlRows: GroupRow[] = [];
          for (const file of out) viewRowsFromArrow(view, await decodeParquet(await readFile(file.path), file.path), sqlRows);
          const ts = foldTs(view, counted);
          const scale = magnitudes(view, counted);
          assert.equal(sqlRows.length, ts.size, `${view.name}: group count`);
          if (process.env.PARITY_DEBUG) console.log(view.name, sqlRows.length, events.length);
          for (const row of sqlRows) {
            const key = groupKey(row.bucket, row.dims);
            const expected = ts.get(key);
            assert.ok(expected, `${view.name}: SQL group ${JSON.stringify(row.dims)} @${row.bucket} not in the fold`);
            view.measures.forEach((m, i) => {
              const a = Buffer.from(m.measure.encode(row.states[i])).toString('hex');
              const b = Buffer.from(m.measure.encode(expected.states[i])).toString('hex');
              if (floatSums.has(m.name) && a !== b) {
                const got = m.measure.kind === 'avg' ? (row.states[i] as { sum: number }).sum : (row.states[i] as number);
                const want = m.measure.kind === 'avg' ? (expected.states[i] as { sum: number }).sum : (expected.states[i] as number);
                assert.ok(Math.abs(got - want) <= 1e-9 * Math.max(1, scale.get(key)![i]!), `${view.name}.${m.name} ${JSON.stringify(row.dims)}: ${got} vs ${want}`);
                if (m.measure.kind === 'avg') assert.equal((row.states[i] as { count: number }).count, (expected.states[i] as { count: number }).count);
              } else {
                assert.equal(a, b, `${view.name}.${m.name} ${JSON.stringify(row.dims)} @${row.bucket}`);
              }
            });
          }
          await rm(outputDir, { recursive: true, force: true });
        }
      }),
      { numRuns, endOnFailure: true },
    );
  } finally {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  }
}

