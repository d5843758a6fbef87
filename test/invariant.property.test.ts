/**
 * The exactness invariant, property-tested: for random interleavings of ingests (with invalid and
 * late events), foreign invalid messages on the topic, archiver flushes and crashes, batch runs,
 * speed-layer restarts and queries, every answer equals brute-force aggregation of the accepted
 * events. Runs on the embedded log and the local lake (the Kafka + MinIO run lives beside it).
 */
import { test } from 'node:test';
import fc from 'fast-check';
import { evolvedTestConfigs } from './support/test-config.js';
import { InProcessLamina } from './support/in-process-lamina.js';
import { operationArbitrary } from './support/operations.js';
import { runScenario } from './support/invariant-scenario.js';

const configs = evolvedTestConfigs();

test('every answer equals brute force over the accepted events, across flushes, crashes, incremental and full batches, restarts and schema and view changes', { timeout: 600_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(operationArbitrary(), { minLength: 5, maxLength: 40, size: 'medium' }), async (operations) => {
      const lamina = await InProcessLamina.start(configs[0]!);
      try {
        await runScenario(operations, lamina, configs);
      } finally {
        await lamina.stop();
      }
    }),
    { numRuns: Number(process.env.LAMINA_PROPERTY_RUNS ?? 25), endOnFailure: true },
  );
});
