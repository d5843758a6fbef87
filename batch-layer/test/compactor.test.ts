/** Compaction rewrites small files into one per date without changing a row, a txn, a range tag or a view. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeltaTable, lakeLayout, rangesOf, txnAppId, type Snapshot } from '@lamina/shared';
import { compactTable } from '../src/index.js';
import { InProcessLamina } from '../../test/support/in-process-lamina.js';
import { testConfig } from '../../test/support/test-config.js';

const pv = (i: number, day = 20) => ({ id: `e${i}`, type: 'page_view', ts: Date.UTC(2026, 10, day, 0, i % 60), data: { url: `/${i % 3}`, country: 'DE', userId: `u${i}`, durationMs: i } });

async function rowsOf(table: DeltaTable, snapshot: Snapshot): Promise<string[]> {
  const all = await table.readAll(snapshot);
  const id = all.getChild('_id')!;
  const partition = all.getChild('_partition')!;
  const offset = all.getChild('_offset')!;
  return Array.from({ length: all.numRows }, (_, i) => `${partition.get(i)}/${offset.get(i)}/${id.get(i)}`).sort();
}

const rangeRows = (snapshot: Snapshot) => snapshot.files.flatMap((f) => rangesOf(f) ?? []).reduce((n, r) => n + r.rows, 0);

test('compaction keeps rows, frontiers, range tags and answers; races with archiver commits are retried', { timeout: 60_000 }, async () => {
  const lamina = await InProcessLamina.start(testConfig());
  try {
    for (let round = 0; round < 12; round++) {
      await lamina.serving.ingest.ingest(Array.from({ length: 10 }, (_, i) => pv(round * 10 + i, 20 + (round % 2))));
      await lamina.archiver.catchUp();
    }
    const table = DeltaTable.open(lamina.store, lakeLayout.rawTable('page_view'));
    const before = await table.snapshot();
    const rowsBefore = await rowsOf(table, before);
    assert.equal(before.files.length, 12, 'one small file per flush (each flush holds one event date)');
    assert.equal(rangeRows(before), 120);

    // An archiver commit lands between compaction's snapshot and its commit: compaction must retry.
    const racing = DeltaTable.open(lamina.store, lakeLayout.rawTable('page_view'));
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
    const result = await compactTable(racing, { minFiles: 4 });
    assert.ok(raced);
    assert.equal(result.rows, 120);
    assert.equal(result.filesRemoved, 12);
    assert.equal(result.filesAdded, 2, 'one file per event date');

    const after = await DeltaTable.open(lamina.store, lakeLayout.rawTable('page_view')).snapshot();
    const rowsAfter = await rowsOf(table, after);
    assert.deepEqual(rowsAfter.filter((r) => !r.endsWith('/e1000')), rowsBefore, 'the same rows, each once');
    assert.equal(rowsAfter.length, 121);
    assert.equal(after.files.length, 3, '2 compacted files + the racing append');
    assert.equal(rangeRows(after), 121, 'the offset ranges of the inputs carry over');
    for (let p = 0; p < 3; p++) assert.ok((after.txns.get(txnAppId('events', p)) ?? -1) >= (before.txns.get(txnAppId('events', p)) ?? -1), 'frontiers kept');

    const batch = await lamina.runBatch();
    assert.equal(batch.events, 121);
    assert.ok(batch.quality.every((q) => q.passed), `the complete-read gate agrees with the compacted tags: ${JSON.stringify(batch.quality)}`);
    await lamina.waitForRealtime();
    const answer = await lamina.serving.queries.query('pageviews', { granularity: 'all', groupBy: [] });
    assert.equal(answer.rows[0]!.values.views, 121);
    assert.equal((await compactTable(table, { minFiles: 4 })).filesRemoved, 0, 'nothing left to compact');

    // The batch job compacts by itself (default: 8 or more small files of a date), merging ranges below the watermark.
    for (let round = 0; round < 9; round++) {
      await lamina.serving.ingest.ingest([pv(2000 + round)]);
      await lamina.archiver.catchUp();
    }
    const second = await lamina.runBatch();
    assert.equal(second.events, 130);
    assert.equal(second.mode, 'incremental');
    assert.ok(second.quality.every((q) => q.passed), JSON.stringify(second.quality));
    const compacted = await DeltaTable.open(lamina.store, lakeLayout.rawTable('page_view')).snapshot();
    assert.equal(compacted.files.length, 2);
    assert.equal(rangeRows(compacted), 130);
  } finally {
    await lamina.stop();
  }
});
