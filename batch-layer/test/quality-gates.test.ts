/** A generation that fails its quality gates is not published; serving keeps the previous one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { BatchJob, QualityGateError } from '../src/index.js';
import { GenerationStore, createRegistry, silentLogger, type GenerationManifest } from '@lamina/shared';
import { InProcessLamina } from '../../test/support/in-process-lamina.js';
import { testConfig } from '../../test/support/test-config.js';
import { alertHook } from '../../cli/src/alert-hook.js';

const pv = (id: string) => ({ id, type: 'page_view', ts: '2026-11-20T10:00:00Z', data: { url: '/', country: 'DE', userId: id, durationMs: 5 } });

test('failed gates: not published, previous generation still served, counted and alerted', { timeout: 30_000 }, async () => {
  const lamina = await InProcessLamina.start(testConfig());
  const alerts: unknown[] = [];
  const hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      alerts.push(JSON.parse(body));
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  try {
    await lamina.serving.ingest.ingest([pv('a'), pv('b')]);
    await lamina.archiver.catchUp();
    const first = await lamina.runBatch();
    assert.equal(first.generation, 1);
    assert.ok(first.quality.every((q) => q.passed));

    // Foreign garbage on the topic: 2 valid events vs 3 quarantined breaks a 50 % quarantine limit.
    for (const value of ['garbage', '{"no":"event"}', '[]']) await lamina.log.produce('events', [{ key: null, value }]);
    await lamina.archiver.catchUp();
    const strict = testConfig({ batch: { quality: { maxQuarantineRatio: 0.5, minEvents: 3 }, alertWebhook: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alert` } });
    const registry = createRegistry();
    const job = new BatchJob({
      config: strict, store: lamina.store, logger: silentLogger, registry, scratchDir: join(lamina.dir, 'scratch-strict'),
      onAlert: alertHook(strict, silentLogger),
    });
    await assert.rejects(job.run(), (error: unknown) => {
      assert.ok(error instanceof QualityGateError);
      assert.match(error.message, /generation 2 failed quality gates: min-events: 2 events, minimum 3; quarantine-ratio: 3 of 5 messages quarantined/);
      return true;
    });
    assert.equal((await new GenerationStore(lamina.store).latest())?.generation, 1, 'generation 2 was not published');
    assert.match(await registry.metrics(), /lamina_batch_runs_total\{outcome="quality_failed"\} 1/);
    assert.equal(alerts.length, 1);
    assert.equal((alerts[0] as { manifest: GenerationManifest }).manifest.generation, 2);

    await lamina.serving.generations.refresh();
    await lamina.waitForRealtime();
    const answer = await lamina.serving.queries.query('pageviews', { granularity: 'all', groupBy: [] });
    assert.equal(answer.meta.generation, 1);
    assert.equal(answer.rows[0]!.values.views, 2);
  } finally {
    hook.close();
    await lamina.stop();
  }
});
