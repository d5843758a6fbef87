/**
 * Event schemas evolve: v1 events, then a compatible v2 with a new optional field with a default; a
 * view over that field counts the v1 events (in the lake and in the log) with the default, before and
 * after the batch takes them over. An incompatible v3 refuses to start and names the type, field and rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DeltaTable, SchemaRegistry, lakeLayout, validateConfig, type LaminaConfig } from '@lamina/shared';
import { InProcessLamina } from './support/in-process-lamina.js';

const fields = { url: { type: 'string' }, userId: { type: 'string' } } as const;
const v1 = validateConfig({
  partitions: 2,
  eventTypes: { page_view: { fields } },
  views: { hits: { source: 'page_view', dimensions: ['url'], measures: { n: { kind: 'count' } } } },
  archiver: { flushRecords: 1_000_000, flushIntervalMs: 3_600_000 },
});
const v2Fields = { ...fields, plan: { type: 'string', optional: true, default: 'free' }, 'device.os': { type: 'string', optional: true } };
const v2 = validateConfig({
  ...v1,
  eventTypes: { page_view: { fields: v2Fields } },
  views: { ...v1.views, byPlan: { source: 'page_view', dimensions: ['plan', 'device.os'], measures: { n: { kind: 'count' }, users: { kind: 'distinct', field: 'userId' } } } },
});

const pv = (id: string, data: Record<string, unknown>) => ({ id, type: 'page_view', ts: '2026-11-20T10:00:00Z', data: { url: '/', userId: id, ...data } });

async function byPlan(lamina: InProcessLamina): Promise<Record<string, number>> {
  await lamina.waitForRealtime();
  const answer = await lamina.serving.queries.query('byPlan', { granularity: 'all', groupBy: ['plan'] });
  return Object.fromEntries(answer.rows.map((r) => [String(r.dims.plan), r.values.n as number]));
}

test('a compatible schema change: old events read the default, in the lake and on the log', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lamina-schema-'));
  try {
    let lamina = await InProcessLamina.start(v1, { dir });
    await lamina.serving.ingest.ingest([pv('a', {}), pv('b', { plan: 'ignored-in-v1' })]);
    await lamina.archiver.catchUp();
    assert.equal((await lamina.runBatch()).events, 2);
    // One more v1 event stays on the log only (not archived, not in a generation) across the upgrade.
    await lamina.serving.ingest.ingest([pv('c', {})]);
    await lamina.stop({ removeDir: false });

    lamina = await InProcessLamina.start(v2, { dir });
    try {
      const history = await new SchemaRegistry(lamina.store).history('page_view');
      assert.deepEqual(history.map((h) => h.version), [1, 2]);
      const raw = await DeltaTable.open(lamina.store, lakeLayout.rawTable('page_view')).snapshot();
      assert.ok(raw.fields.some((f) => f.name === 'plan') && raw.fields.some((f) => f.name === 'device__os'), 'the raw table gained the new columns');

      const rejected = await lamina.serving.ingest.ingest([pv('d', { plan: 'pro', device: { os: 'linux' } }), pv('e', {}), pv('f', { plan: 42 })]);
      assert.equal(rejected.accepted, 2);
      assert.match(rejected.rejected[0]!.reason, /data\.plan: expected a string/);
      // Before any v2 batch: the batch part (a, b) has no byPlan table yet → the view is incomplete, not short.
      await assert.rejects(byPlan(lamina), /was added or changed/);
      await lamina.archiver.catchUp();
      const second = await lamina.runBatch();
      assert.equal(second.events, 5, 'a and b from the lake, c (v1, from the log), d and e');
      // 'b' sent plan under v1, where it was an undeclared field: its row read the default (the value is in _extra).
      assert.deepEqual(await byPlan(lamina), { free: 4, pro: 1 });
      const third = await lamina.runBatch({ full: true });
      assert.equal(third.mode, 'full');
      assert.deepEqual(await byPlan(lamina), { free: 4, pro: 1 });
      const os = await lamina.serving.queries.query('byPlan', { granularity: 'all', groupBy: ['device.os'] });
      assert.deepEqual(Object.fromEntries(os.rows.map((r) => [String(r.dims['device.os']), r.values.n])), { linux: 1, null: 4 });
    } finally {
      await lamina.stop({ removeDir: false });
    }

    // v3 renames a field and adds a required one: refused at start, naming the type, the fields and the rule.
    const v3: LaminaConfig = validateConfig({ ...v2, eventTypes: { page_view: { fields: { url: { type: 'string' }, user: { type: 'string' }, plan: v2Fields.plan, 'device.os': v2Fields['device.os'] } } }, views: v1.views });
    await assert.rejects(InProcessLamina.start(v3, { dir }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /eventTypes\.page_view is not backward-compatible with version 2/);
      assert.match(error.message, /field 'userId' was removed \(or renamed\)/);
      assert.match(error.message, /new field 'user' is required/);
      return true;
    });
    // A type change is refused whatever the mode.
    const v4 = validateConfig({ ...v2, eventTypes: { page_view: { compatibility: 'none', fields: { ...v2Fields, url: { type: 'integer' } } } }, views: v1.views });
    await assert.rejects(InProcessLamina.start(v4, { dir }), /field 'url' changes type from string to integer/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
