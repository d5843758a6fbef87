/**
 * The exactness invariant, property-tested: for random interleavings of ingests (with invalid and
 * late events), foreign invalid messages on the topic, archiver flushes and crashes, batch runs,
 * speed-layer restarts and queries, every answer equals brute-force aggregation of the accepted
 * events. Runs on the embedded log and the local lake (the Kafka + MinIO run lives beside it), with
 * the DuckDB engine, and in fewer, shorter runs with the Spark engine (local[2]).
 */
import { test } from 'node:test';
import fc from 'fast-check';
import type { LaminaConfig } from '@lamina/shared';
import { evolvedTestConfigs } from './support/test-config.js';
import { InProcessLamina } from './support/in-process-lamina.js';
import { operationArbitrary } from './support/operations.js';
import { runScenario } from './support/invariant-scenario.js';
import { requireSpark } from './support/infra-env.js';

const spark = requireSpark();

async function invariant(configs: LaminaConfig[], maxLength: number, numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(operationArbitrary(), { minLength: 5, maxLength, size: 'medium' }), async (operations) => {
      const lamina = await InProcessLamina.start(configs[0]!);
      try {
        await runScenario(operations, lamina, configs);
      } finally {
        await lamina.stop();
      }
    }),
    { numRuns, endOnFailure: true },
  );
}

test('every answer equals brute force over the accepted events, across flushes, crashes, incremental and full batches, restarts and schema and view changes', { timeout: 600_000 }, async () => {
  await invariant(evolvedTestConfigs(), 40, Number(process.env.LAMINA_PROPERTY_RUNS ?? 25));
});

test('the same with the Spark engine: every answer equals brute force', { skip: spark ? false : 'needs Spark', timeout: 900_000 }, async () => {
  const configs = evolvedTestConfigs({ batch: { engine: 'spark', spark: { master: 'local[2]', python: spark!.python, jars: spark!.jars } } });
  await invariant(configs, 12, Number(process.env.LAMINA_PROPERTY_RUNS_SPARK ?? 2));
});
