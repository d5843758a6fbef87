/**
 * The exactness invariant once more across real infrastructure: the same random interleavings,
 * with Kafka as the log and MinIO (S3) as the lake. Fewer runs: every run joins real consumer groups.
 */
import { test } from 'node:test';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { KafkaEventLog, S3ObjectStore } from '@lamina/shared';
import { evolvedTestConfigs } from './support/test-config.js';
import { InProcessLamina } from './support/in-process-lamina.js';
import { operationArbitrary } from './support/operations.js';
import { runScenario } from './support/invariant-scenario.js';
import { INFRA_SKIP_REASON, requireInfra } from './support/infra-env.js';

const infra = requireInfra();

test('Kafka + MinIO: every answer equals brute force over the accepted events', { skip: infra ? false : INFRA_SKIP_REASON, timeout: 600_000 }, async () => {
  const { kafkaBrokers, s3 } = infra!;
  // A separate client for clean-up: each run's own log is closed when its Lamina stops.
  const admin = new KafkaEventLog({ brokers: kafkaBrokers, clientId: 'lamina-inv-cleanup' });
  await fc.assert(
    fc.asyncProperty(fc.array(operationArbitrary(), { minLength: 5, maxLength: 25 }), async (operations) => {
      const run = randomUUID().slice(0, 8);
      const configs = evolvedTestConfigs({ topic: `lamina-inv-${run}` });
      const config = configs[0]!;
      const log = new KafkaEventLog({ brokers: kafkaBrokers, clientId: `lamina-inv-${run}`, consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 200, maxWaitTimeMs: 100 } });
      const store = new S3ObjectStore({ ...s3, prefix: `lamina-test/invariant-${run}` });
      const lamina = await InProcessLamina.start(config, { log, store, groupSuffix: `-${run}` });
      try {
        await runScenario(operations, lamina, configs);
      } finally {
        await lamina.stop();
        await admin.deleteTopic(config.topic);
        for await (const object of store.list('')) await store.delete(object.key);
        store.destroy();
      }
    }),
    { numRuns: Number(process.env.LAMINA_PROPERTY_RUNS_INFRA ?? 8), endOnFailure: true },
  );
  await admin.close();
});
