/**
 * The exactness invariant, property-tested: for random interleavings of ingests (with invalid and
 * late events), foreign invalid messages on the topic, archiver flushes and crashes, batch runs,
 * speed-layer restarts and queries, every answer equals brute-force aggregation of the accepted
 * events. Runs on the embedded log and the local lake (the Kafka + MinIO run lives beside it).
 */
import { test } from 'node:test';
import fc from 'fast-check';
import { testConfig } from './support/test-config.js';
import { InProcessLamina } from './support/in-process-lamina.js';
import { operationArbitrary } from './support/operations.js';
import { runScenario } from './support/invariant-scenario.js';

const config = testConfig();

test('every answer equals brute force over the accepted events, across flushes, crashes, batches and restarts', { timeout: 600_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(operationArbitrary(), { minLength: 5, maxLength: 40 }), async (operations) => {
      const lamina = await InProcessLamina.start(config);
      try {
        await runScenario(operations, lamina);
      } finally {
        await lamina.stop();
      }
    }),
    { numRuns: Number(process.env.LAMINA_PROPERTY_RUNS ?? 25), endOnFailure: true },
  );
});
