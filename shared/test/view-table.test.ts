/** View tables: the TypeScript path writes and reads every state column; a large view loads (no spread-push RangeError). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeltaTable, LocalObjectStore, VIEW_PARTITION_COLUMNS, ViewAggregate, compileViews, readViewRows, validateConfig, viewRowsToArrow, viewTableSchema, type GroupRow } from '../src/index.js';

const config = validateConfig({
  eventTypes: { e: { fields: { k: { type: 'string' }, v: { type: 'number' } } } },
  views: { big: { source: 'e', dimensions: ['k'], measures: { n: { kind: 'count' }, s: { kind: 'sum', field: 'v' }, lo: { kind: 'min', field: 'v' }, m: { kind: 'avg', field: 'v' }, d: { kind: 'distinct', field: 'k' }, q: { kind: 'quantile', field: 'v', q: 0.5 } } } },
});

test('a 150,000-row view table round-trips through the lake and loads in one piece', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lamina-view-table-'));
  try {
    const view = compileViews(config)[0]!;
    const aggregate = new ViewAggregate(view);
    const day = Date.UTC(2026, 10, 20);
    for (let i = 0; i < 150_000; i++) aggregate.add({ id: `e${i}`, type: 'e', ts: day + (i % 2) * 86_400_000 + (i % 1440) * 60_000, data: { k: `k${i % 997}`, v: i } });
    const rows = [...aggregate.rows()];
    assert.equal(rows.length, 150_000, "every event its own group");
    const store = new LocalObjectStore({ root: dir });
    const table = DeltaTable.open(store, 'views/big/x');
    const snapshot = await table.createIfMissing(viewTableSchema(view), { partitionColumns: VIEW_PARTITION_COLUMNS });
    const adds = [];
    for (const part of viewRowsToArrow(view, rows).values()) adds.push({ add: await table.writeDataFile(part, { snapshot }) });
    const version = await table.commit(snapshot.version, adds);
    const loaded = await readViewRows(store, { table: 'views/big/x', version, fingerprint: view.fingerprint, rows: rows.length }, view);
    assert.equal(loaded.length, rows.length);
    const key = (r: GroupRow) => `${r.bucket}|${r.dims.join('|')}`;
    const byKey = new Map(loaded.map((r) => [key(r), r]));
    for (const row of rows.slice(0, 2000)) {
      const got = byKey.get(key(row))!;
      view.measures.forEach((m, i) => assert.deepEqual(Buffer.from(m.measure.encode(got.states[i])), Buffer.from(m.measure.encode(row.states[i])), m.name));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
