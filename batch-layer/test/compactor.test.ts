/** Compaction rewrites small files into large ones without changing a row, a txn or a view. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeltaTable, lakeLayout, rawEventsFromArrow, txnAppId } from '@lamina/shared';
import { compactTable } from '../src/index.js';
import { InProcessLamina } from '../../test/support/in-process-lamina.js';
import { testConfig } from '../../test/support/test-config.js';

const pv = (i: number) => ({ id: `e${i}`, type: 'page_view', ts: Date.UTC(2026, 10, 20, 0, i), data: { url: `/${i % 3}`, country: 'DE', userId: `u${i}`, durationMs: i } });

test('compaction keeps rows, frontiers and answers; races with archiver commits are retried', { timeout: 30_000 }, async () => {
  const lamina = await InProcessLamina.start(testConfig());
  try {
    for (let round = 0; round < 12; round++) {
      await lamina.serving.ingest.ingest(Array.from({ length: 10 }, (_, i) => pv(round * 10 + i)));
      await lamina.archiver.catchUp();
    }
    const table = DeltaTable.open(lamina.store, lakeLayout.eventsTable);
    const before = await table.snapshot();
    const rowsBefore = [...rawEventsFromArrow(await table.readAll(before))].map((r) => `${r.partition}/${r.offset}/${r.event.id}`).sort();
    assert.ok(before.files.length >= 12, `${before.files.length} small files`);

    // An archiver commit lands between compaction's snapshot and its commit: compaction must retry.
    const racing = DeltaTable.open(lamina.store, lakeLayout.eventsTable);
    const originalCommit = racing.commit.bind(racing);
    let raced = false;
    racing.commit = async (readVersion, actions, options) => {
      if (!raced) {
        raced = true;
        await lamina.serving.ingest.ingest([pv(1000)]);
        await lamina.archiver.catchUp();
      }
      return originalCommit(readVersion, actions, options);
    };
    const result = await compactTable(racing, { targetRows: 50, minFiles: 4 });
    assert.ok(raced);
    assert.equal(result.rows, 120);
    assert.equal(result.filesAdded, 3);

    const after = await DeltaTable.open(lamina.store, lakeLayout.eventsTable).snapshot();
    const rowsAfter = [...rawEventsFromArrow(await table.readAll(after))].map((r) => `${r.partition}/${r.offset}/${r.event.id}`).sort();
    assert.deepEqual(rowsAfter.filter((r) => !r.endsWith('/e1000')), rowsBefore, 'the same rows, each once');
    assert.equal(rowsAfter.length, 121);
    assert.equal(after.files.length, 4, '3 compacted files + the racing append');
    for (let p = 0; p < 3; p++) assert.ok((after.txns.get(txnAppId('events', p)) ?? -1) >= (before.txns.get(txnAppId('events', p)) ?? -1), 'frontiers kept');

    const batch = await lamina.runBatch();
    assert.equal(batch.events, 121);
    assert.ok(batch.quality.every((q) => q.passed), 'the complete-read gate agrees with the compacted stats');
    await lamina.waitForRealtime();
    const answer = await lamina.serving.queries.query('pageviews', { granularity: 'all', groupBy: [] });
    assert.equal(answer.rows[0]!.values.views, 121);
    assert.equal((await compactTable(table, { targetRows: 50, minFiles: 4 })).filesRemoved, 0, 'nothing left to compact');

    // The batch job compacts by itself (default: 8 or more small files).
    for (let round = 0; round < 9; round++) {
      await lamina.serving.ingest.ingest([pv(2000 + round)]);
      await lamina.archiver.catchUp();
    }
    assert.equal((await lamina.runBatch()).events, 130);
    assert.equal((await DeltaTable.open(lamina.store, lakeLayout.eventsTable).snapshot()).files.length, 1);
  } finally {
    await lamina.stop();
  }
});
