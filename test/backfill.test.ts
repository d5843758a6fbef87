/**
 * `lamina backfill` on the real stack: JSON lines and a Parquet file (a raw table's layout: `_id`,
 * `_ts`, flattened fields, no type column) through ingest's validation, rejects reported per line,
 * exit 65 when some were rejected; importing the same files again counts their events once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { KafkaEventLog, S3ObjectStore, encodeParquet, validateConfig } from '@lamina/shared';
import example from '../cli/src/example-config.js';
import { INFRA_SKIP_REASON, laminaProcessEnv, requireInfra } from './support/infra-env.js';
import { freePort, runToEnd, startLayer, type LaminaProcess } from './support/processes.js';
import { archivedOffsets, waitFor } from './support/log-facts.js';
import { pageViews } from './support/http.js';

const infra = requireInfra();
const DAY = Date.UTC(2026, 9, 1);

test('lamina backfill imports JSON lines and Parquet, reports rejects by line, and a second import counts nothing twice', { skip: infra ? false : INFRA_SKIP_REASON, timeout: 240_000 }, async () => {
  const { kafkaBrokers, s3 } = infra!;
  const run = randomUUID().slice(0, 8);
  const dir = await mkdtemp(join(tmpdir(), 'lamina-backfill-'));
  const configFile = join(dir, 'lamina.config.mjs');
  const raw = { ...example, partitions: 2 };
  await writeFile(configFile, `export default ${JSON.stringify(raw)};\n`);
  const config = validateConfig({ ...raw, topic: `lamina-backfill-${run}` });
  const env = laminaProcessEnv(infra!, { configFile, topic: config.topic, prefix: `lamina-test/backfill-${run}`, scratchDir: join(dir, 'scratch') });
  const admin = new KafkaEventLog({ brokers: kafkaBrokers, clientId: `lamina-backfill-admin-${run}` });
  const store = new S3ObjectStore({ ...s3, prefix: env.LAMINA_S3_PREFIX });
  const processes: LaminaProcess[] = [];
  try {
    // 300 page views as JSON lines, with a line that is not JSON, an invalid event and a blank line.
    const views = pageViews(300, { prefix: `bf-${run}`, from: DAY, spreadMs: 2 * 86_400_000 });
    const lines = views.map((e) => JSON.stringify(e));
    lines.splice(10, 0, '{"id": "broken", ');
    lines.splice(20, 0, JSON.stringify({ id: 'no-url', type: 'page_view', ts: new Date(DAY).toISOString(), data: { country: 'DE', userId: 'u', durationMs: 1 } }));
    lines.splice(30, 0, '');
    const jsonl = join(dir, 'views.jsonl');
    await writeFile(jsonl, `${lines.join('\n')}\n`);
    // 100 purchases as a raw table would hold them: _id, _ts (a timestamp), typed field columns, no type column.
    const n = 100;
    const parquet = join(dir, 'purchases.parquet');
    await writeFile(parquet, await encodeParquet(new arrow.Table({
      _id: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => `p-${run}-${i}`), new arrow.Utf8()),
      _ts: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => DAY + i * 600_000), new arrow.TimestampMicrosecond('UTC')),
      _partition: arrow.vectorFromArray(Array.from({ length: n }, () => 0), new arrow.Int32()),
      orderId: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => `o${i}`), new arrow.Utf8()),
      userId: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => `user-${i % 17}`), new arrow.Utf8()),
      country: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => ['DE', 'FR'][i % 2]!), new arrow.Utf8()),
      revenue: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => 10 + i), new arrow.Float64()),
      items: arrow.makeVector(BigInt64Array.from({ length: n }, (_, i) => BigInt(1 + (i % 3)))),
    })));

    for (const round of [1, 2]) {
      const result = await runToEnd(['backfill', jsonl, parquet, '--type', 'purchase'], env, 120_000);
      assert.equal(result.code, 65, `round ${round}: some events were rejected: exit 65\n${result.stderr}`);
      const summary = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { files: { file: string; read: number; accepted: number; rejected: number }[]; accepted: number; rejected: number };
      assert.deepEqual(summary.files.map((f) => [f.read, f.accepted, f.rejected]), [[302, 300, 2], [100, 100, 0]], `round ${round}`);
      assert.match(result.stdout + result.stderr, /line 11[^\n]*not JSON/, 'the line that is not JSON is named');
      assert.match(result.stdout + result.stderr, /line 21[^\n]*url/, 'the invalid event is named by its line and its reason');
    }

    // Archived and counted: 800 events on the log, 400 of them copies.
    const archivePort = await freePort();
    processes.push(await startLayer('archiver', ['archive'], { ...env, PORT: String(archivePort) }, /health endpoints listening/));
    await waitFor('the archiver archives both imports', async () => ((await archivedOffsets(store, config)) === 800 ? true : undefined), 90_000);
    const batch = await runToEnd(['batch', 'run'], env);
    assert.equal(batch.code, 0, batch.stderr);
    const manifest = JSON.parse(batch.stdout.trim().split('\n').at(-1)!) as { events: number; duplicates: number };
    assert.deepEqual({ events: manifest.events, duplicates: manifest.duplicates }, { events: 800, duplicates: 400 });
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await admin.deleteTopic(config.topic).catch(() => undefined);
    await admin.close();
    for await (const object of store.list('')) await store.delete(object.key);
    store.destroy();
    await rm(dir, { recursive: true, force: true });
  }
});
