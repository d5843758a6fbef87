/**
 * One run of the exactness invariant: applies random operations to a running Lamina and checks
 * every query against brute force over the accepted events (see invariant*.property.test.ts).
 */
import assert from 'node:assert/strict';
import { DeltaTable, EventValidator, lakeLayout, type LaminaEvent, type RollUp, type ViewQuery } from '@lamina/shared';
import { compactTable } from '@lamina/batch-layer';
import type { InProcessLamina } from './in-process-lamina.js';
import { assertSameRows, bruteForce } from './brute-force.js';
import type { Operation } from './operations.js';

const floatMeasures = new Set(['revenue']);

export async function runScenario(operations: Operation[], lamina: InProcessLamina): Promise<void> {
  const { config } = lamina;
  const validator = new EventValidator(config);
  const accepted: LaminaEvent[] = [];
  let foreignInvalid = 0;
  for (const [step, op] of operations.entries()) {
    switch (op.kind) {
      case 'ingest': {
        const expected = op.events.map((e) => validator.validate(e)).filter((r) => r.ok).map((r) => r.event);
        const result = await lamina.serving.ingest.ingest(op.events);
        assert.equal(result.accepted, expected.length, `step ${step}: accepted count`);
        assert.equal(result.rejected.length, op.events.length - expected.length, `step ${step}: every invalid event is answered`);
        accepted.push(...expected);
        break;
      }
      case 'foreign': {
        await lamina.log.produce(config.topic, [{ key: op.key, value: op.value }]);
        foreignInvalid++;
        break;
      }
      case 'flush':
        await lamina.archiver.flush();
        break;
      case 'compact':
        // Small targets so that a few flushes already make something to compact.
        for (const type of Object.keys(config.eventTypes)) await compactTable(DeltaTable.open(lamina.store, lakeLayout.rawTable(type)), { smallRows: 40, minFiles: 2 });
        break;
      case 'crashArchiver':
        await lamina.crashArchiver();
        break;
      case 'batch':
        await lamina.runBatch();
        break;
      case 'restartSpeed':
        await lamina.restartSpeed();
        break;
      case 'query': {
        await lamina.waitForRealtime();
        const query: ViewQuery = { granularity: op.granularity as RollUp, filters: op.filters, ...(op.groupBy ? { groupBy: op.groupBy } : {}) };
        if (op.from !== undefined) query.from = op.from;
        if (op.to !== undefined) query.to = op.to;
        const answer = await lamina.serving.queries.query(op.view, query);
        const expected = bruteForce(config, accepted, op.view, query);
        assertSameRows(answer.rows, expected, floatMeasures, `step ${step} ${op.view} ${JSON.stringify(query)} gen ${answer.meta.generation}`);
        break;
      }
    }
  }
  // Finally: everything archived, quarantine holds exactly the foreign invalid messages.
  await lamina.waitForRealtime();
  await lamina.archiver.catchUp();
  const manifest = await lamina.runBatch();
  assert.equal(manifest.quarantined, foreignInvalid, 'quarantine table holds every invalid message found on the topic, once');
  const all = await lamina.serving.queries.query('pageviews', { granularity: 'all', groupBy: [] });
  const expected = bruteForce(config, accepted, 'pageviews', { granularity: 'all', groupBy: [] });
  assertSameRows(all.rows, expected, floatMeasures, 'final total');
}
