import { test } from 'node:test';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { ValidationError, ViewAggregate, accumulateRows, bucketStart, canRollUp, compileView, finishRows, groupKey, orderResults, type ResultRow, validateConfig, type GroupRow, type LaminaEvent } from '../src/index.js';

test('time buckets in UTC, weeks start on Monday, months on the 1st', () => {
  const t = Date.UTC(2026, 10, 19, 13, 47, 12, 345); // a Thursday
  assert.equal(bucketStart(t, 'minute'), Date.UTC(2026, 10, 19, 13, 47));
  assert.equal(bucketStart(t, 'hour'), Date.UTC(2026, 10, 19, 13));
  assert.equal(bucketStart(t, 'day'), Date.UTC(2026, 10, 19));
  assert.equal(bucketStart(t, 'week'), Date.UTC(2026, 10, 16));
  assert.equal(bucketStart(t, 'month'), Date.UTC(2026, 10, 1));
  assert.equal(bucketStart(t, 'all'), 0);
  assert.equal(bucketStart(Date.UTC(1969, 11, 31, 23, 59), 'day'), Date.UTC(1969, 11, 31));
  assert.ok(canRollUp('hour', 'day') && !canRollUp('hour', 'minute') && canRollUp('minute', 'minute'));
});

const config = validateConfig({
  eventTypes: { pv: { fields: { url: { type: 'string' }, geo: { type: 'string', optional: true }, ms: { type: 'number' } } } },
  views: {
    v: { source: 'pv', dimensions: ['url', 'geo'], granularity: 'hour', filter: { field: 'url', in: ['/a', '/b'] }, measures: { n: { kind: 'count' }, total: { kind: 'sum', field: 'ms' } } },
  },
});
const view = compileView('v', config.views.v!, config);
const ev = (i: number, url: string, geo: string | undefined, hour: number): LaminaEvent => ({ id: `e${i}`, type: 'pv', ts: Date.UTC(2026, 0, 1, hour, 30), data: { url, ...(geo ? { geo } : {}), ms: i } });

test('aggregate, filter, roll up, group, order and limit', () => {
  const agg = new ViewAggregate(view);
  const events = [ev(1, '/a', 'DE', 1), ev(2, '/a', 'DE', 1), ev(3, '/b', undefined, 2), ev(4, '/c', 'DE', 1), ev(5, '/a', 'FR', 26)];
  assert.deepEqual(events.map((e) => agg.add(e)), [true, true, true, false, true], 'the view filter drops /c');
  assert.equal(agg.size, 3);

  const target = new Map<string, GroupRow>();
  accumulateRows(view, agg.rows(), { granularity: 'day', groupBy: ['url'] }, target);
  const rows = finishRows(view, { granularity: 'day', groupBy: ['url'] }, target.values(), [{ field: 'total', direction: 'DESC' }, { field: 'url', direction: 'DESC' }]);
  assert.deepEqual(rows.map((r) => [r.bucket, r.dims.url, r.values.n, r.values.total]), [
    [Date.UTC(2026, 0, 2), '/a', 1, 5],
    [Date.UTC(2026, 0, 1), '/b', 1, 3],
    [Date.UTC(2026, 0, 1), '/a', 2, 3],
  ]);

  const filtered = new Map<string, GroupRow>();
  const q = { granularity: 'all' as const, filters: { geo: { in: [null] } }, from: Date.UTC(2026, 0, 1, 2), to: Date.UTC(2026, 0, 2) };
  accumulateRows(view, agg.rows(), q, filtered);
  const only = finishRows(view, q, filtered.values(), [], 1);
  assert.deepEqual(only.map((r) => [r.dims, r.values.n]), [[{ url: '/b', geo: null }, 1]], 'null filter matches missing values; range is [from, to)');
});

test('queries the view cannot answer are refused clearly', () => {
  const target = new Map<string, GroupRow>();
  assert.throws(() => accumulateRows(view, [], { granularity: 'minute' }, target), (e: unknown) => e instanceof ValidationError && /stored per hour/.test(e.message));
  assert.throws(() => accumulateRows(view, [], { granularity: 'day', groupBy: ['nope'] }, target), /no dimension 'nope'/);
  assert.throws(() => accumulateRows(view, [], { granularity: 'day', filters: { nope: { in: ['x'] } } }, target), /no dimension 'nope' to filter/);
  assert.throws(() => finishRows(view, { granularity: 'day' }, [], [{ field: 'zzz', direction: 'ASC' }]), /cannot order by 'zzz'/);
});

test('a limited order (a bounded heap) gives the first rows of the full stable sort, ties included', () => {
  const row = fc.record({ bucket: fc.integer({ min: 0, max: 3 }), url: fc.constantFrom('/a', '/b', '/c'), geo: fc.constantFrom('DE', 'FR', null), n: fc.integer({ min: 0, max: 4 }), total: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 9 })) });
  const order = fc.array(fc.record({ field: fc.constantFrom('bucket', 'url', 'geo', 'n', 'total'), direction: fc.constantFrom('ASC' as const, 'DESC' as const) }), { maxLength: 3 });
  fc.assert(
    fc.property(fc.array(row, { maxLength: 200 }), order, fc.integer({ min: 0, max: 40 }), (raw, orderBy, limit) => {
      const rows: ResultRow[] = raw.map((r, i) => ({ bucket: r.bucket, dims: { url: r.url, geo: r.geo }, values: { n: r.n, total: r.total, id: i } }));
      const query = { granularity: 'hour' as const };
      const full = orderResults(view, query, [...rows], orderBy).slice(0, limit);
      const limited = orderResults(view, query, [...rows], orderBy, limit);
      assert.deepEqual(limited.map((r) => r.values.id), full.map((r) => r.values.id));
    }),
    { numRuns: 300 },
  );
});

test('group keys are equal exactly when bucket and dimension values are, whatever the values hold', () => {
  const dim = fc.option(fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom('', ':', '\u0000', '\u0001', '1:a', 'null')), { nil: null });
  const group = fc.tuple(fc.integer({ min: -5, max: 5 }), fc.array(dim, { minLength: 2, maxLength: 2 }));
  fc.assert(
    fc.property(group, group, ([b1, d1], [b2, d2]) => {
      assert.equal(groupKey(b1, d1) === groupKey(b2, d2), b1 === b2 && d1.every((v, i) => v === d2[i]));
    }),
    { numRuns: 2000 },
  );
  // Values that concatenate alike: a separator or a length inside a value must not make two groups one.
  assert.notEqual(groupKey(1, ['a\u00001:b', 'c']), groupKey(1, ['a', '1:b\u00001:c']));
  assert.notEqual(groupKey(1, [null, 'x']), groupKey(1, ['\u0001', 'x']));
});

test('folding events into a view groups them by the same key the merge uses', () => {
  const aggregate = new ViewAggregate(view);
  const ts = Date.UTC(2026, 10, 19, 13, 47);
  const event = (url: string, geo?: string): LaminaEvent => ({ id: `${url}-${geo}`, type: 'pv', ts, data: { url, ms: 1, ...(geo === undefined ? {} : { geo }) } });
  for (const e of [event('/a', 'x'), event('/a', 'x'), event('/a'), event('/a', '\u0001')]) aggregate.add(e);
  const merged = new ViewAggregate(aggregate.view);
  merged.mergeAggregate(aggregate);
  merged.mergeAggregate(aggregate);
  assert.deepEqual([...merged.rows()].map((r) => [r.dims, r.states[0]]), [...aggregate.rows()].map((r) => [r.dims, 2 * (r.states[0] as number)]));
  assert.equal(aggregate.size, 3);
});
