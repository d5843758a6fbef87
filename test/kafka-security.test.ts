/**
 * Kafka security against the real broker's SASL/SCRAM-SHA-512 listener over TLS (the local stack opens
 * one beside the plain listener, with a certificate made by the JDK's keytool and a user made by
 * Kafka's own ConfigCommand): every layer works over it — ingest, the archiver's and the speed layer's
 * consumer groups, the batch — the CLI trusts the broker through LAMINA_KAFKA_SSL (a CA file) and
 * refuses a wrong password as a configuration error (exit 78) without ever printing it, and a client
 * that does not trust the broker's certificate gets no connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaEventLog, S3ObjectStore, validateConfig } from '@lamina/shared';
import example from '../cli/src/example-config.js';
import { testConfig } from './support/test-config.js';
import { InProcessLamina } from './support/in-process-lamina.js';
import { INFRA_SKIP_REASON, dropRunInfra, laminaProcessEnv, requireInfra } from './support/infra-env.js';
import { runToEnd } from './support/processes.js';
import { pageViews } from './support/http.js';

const infra = requireInfra();
const RESTART = 'the local stack has no SASL/TLS listener: it was started before it had one; restart it (npm run stack:down && npm run stack:up)';

test('every layer works over SASL/SCRAM on TLS; a wrong password is refused as a configuration error, never printed; an untrusted certificate gets no connection', { skip: infra ? false : INFRA_SKIP_REASON, timeout: 180_000 }, async () => {
  const sasl = infra!.kafkaSasl;
  assert.ok(sasl?.caFile, RESTART);
  const ca = await readFile(sasl.caFile, 'utf8');
  const run = randomUUID().slice(0, 8);
  const config = testConfig({ topic: `lamina-scram-${run}`, partitions: 2 });
  const credentials = { mechanism: 'scram-sha-512' as const, username: sasl.username, password: sasl.password };
  const log = new KafkaEventLog({ brokers: sasl.brokers, clientId: `lamina-scram-${run}`, sasl: credentials, ssl: { ca }, consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 200, maxWaitTimeMs: 100 } });
  const admin = new KafkaEventLog({ brokers: sasl.brokers, clientId: `lamina-scram-admin-${run}`, sasl: credentials, ssl: { ca } });
  const store = new S3ObjectStore({ ...infra!.s3, prefix: `lamina-test/scram-${run}` });
  const dir = await mkdtemp(join(tmpdir(), 'lamina-scram-'));
  const lamina = await InProcessLamina.start(config, { log, store, groupSuffix: `-${run}` });
  try {
    const events = pageViews(120, { prefix: `scram-${run}`, from: Date.now() - 86_400_000, spreadMs: 3_600_000 });
    assert.equal((await lamina.serving.ingest.ingest(events)).accepted, 120);
    await lamina.waitForRealtime();
    const realtime = await lamina.serving.queries.query('pageviews', { granularity: 'all', groupBy: [] });
    assert.equal(realtime.rows[0]!.values.views, 120, 'the speed layer folded every event over SASL');
    await lamina.archiver.catchUp();
    const manifest = await lamina.runBatch();
    assert.equal(manifest.events, 120, 'the archiver archived every event over SASL');

    // The CLI, as an operator configures it: right credentials work, a wrong password is exit 78.
    const configFile = join(dir, 'lamina.config.mjs');
    await writeFile(configFile, `export default ${JSON.stringify({ ...example, partitions: 2 })};\n`);
    validateConfig({ ...example, partitions: 2 });
    const env = { ...laminaProcessEnv(infra!, { configFile, topic: config.topic, prefix: `lamina-test/scram-cli-${run}`, scratchDir: join(dir, 'scratch') }), LAMINA_KAFKA_BROKERS: sasl.brokers.join(','), LAMINA_KAFKA_SASL_MECHANISM: 'scram-sha-512', LAMINA_KAFKA_USERNAME: sasl.username, LAMINA_KAFKA_SSL: sasl.caFile };
    const ok = await runToEnd(['batch', 'run'], { ...env, LAMINA_KAFKA_PASSWORD: sasl.password });
    assert.equal(ok.code, 0, ok.stderr);
    const wrong = 'not-the-password-7f3a9c';
    const refused = await runToEnd(['batch', 'run'], { ...env, LAMINA_KAFKA_PASSWORD: wrong });
    assert.equal(refused.code, 78, `wrong credentials: fix the configuration (78)\n${refused.stderr}`);
    assert.match(refused.stderr, /refused the credentials.*LAMINA_KAFKA_USERNAME and LAMINA_KAFKA_PASSWORD/);
    assert.ok(!(refused.stdout + refused.stderr).includes(wrong), 'the password is never printed');
    const missing = await runToEnd(['batch', 'run'], { ...env, LAMINA_KAFKA_PASSWORD: '' });
    assert.equal(missing.code, 78);
    assert.match(missing.stderr, /set LAMINA_KAFKA_USERNAME and LAMINA_KAFKA_PASSWORD too/);
    // Trusting only the system's CAs, the client refuses the broker's self-signed certificate.
    const untrusted = await runToEnd(['batch', 'run'], { ...env, LAMINA_KAFKA_PASSWORD: sasl.password, LAMINA_KAFKA_SSL: 'true' }, 120_000);
    assert.notEqual(untrusted.code, 0, `a broker certificate nobody vouches for must not be accepted\n${untrusted.stderr}`);
    assert.match(untrusted.stderr, /certificate|self.signed|SSL|TLS/i, untrusted.stderr);
  } finally {
    await lamina.stop();
    await dropRunInfra(admin, config.topic, store);
    const cliStore = new S3ObjectStore({ ...infra!.s3, prefix: `lamina-test/scram-cli-${run}` });
    for await (const object of cliStore.list('')) await cliStore.delete(object.key);
    cliStore.destroy();
    await rm(dir, { recursive: true, force: true });
  }
});
