/**
 * One run of the exactness invariant: applies random operations to a running Lamina and checks
 * every query against brute force over the accepted events (see invariant*.property.test.ts).
 * `evolve` deploys the next config (a compatible schema change, new and changed views): from then on
 * brute force uses that config (old events read the new field's default), and an answer may be
 * VIEW_INCOMPLETE — only for a view the served generation has no batch part for — until a batch runs.
 */
import assert from 'node:assert/strict';
import { DeltaTable, EventValidator, ViewIncompleteError, lakeLayout, type LaminaConfig, type RollUp, type ViewQuery } from '@lamina/shared';
import { compactTable } from '@lamina/batch-layer';
import type { InProcessLamina } from './in-process-lamina.js';
import { assertSameRows, bruteForce } from './brute-force.js';
import type { Operation } from './operations.js';

const floatMeasures = new Set(['revenue']);

/** Drops data fields the config does not declare yet, so an old event never carries a later field's value. */
function declaredOnly(config: LaminaConfig, raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const event = raw as { type?: unknown; data?: unknown };
  const fields = config.eventTypes[String(event.type)]?.fields;
  if (!fields || event.data === null || typeof event.data !== 'object') return raw;
  return { ...event, data: Object.fromEntries(Object.entries(event.data).filter(([k]) => k in fields || !['plan'].includes(k))) };
}

/** Copies of accepted events (see the 'resend' operation): same id and type, event time shifted, maybe another url. */
function copiesOf(accepted: readonly unknown[], copies: { index: number; shiftMs: number; url: string | undefined }[]): unknown[] {
  if (accepted.length === 0) return [];
  return copies.map(({ index, shiftMs, url }) => {
    const event = accepted[index % accepted.length] as { ts: string; type: string; data: Record<string, unknown> };
    const ts = new Date(Date.parse(event.ts) + shiftMs).toISOString();
    return { ...event, ts, data: url !== undefined && event.type === 'page_view' ? { ...event.data, url } : event.data };
  });
}

export async function runScenario(operations: Operation[], lamina: InProcessLamina, configs: readonly LaminaConfig[] = [lamina.config]): Promise<void> {
  let version = 0;
  const accepted: unknown[] = [];
  const acceptedEvents = () => {
    const validator = new EventValidator(lamina.config);
    return accepted.map((raw) => validator.validate(raw)).map((r) => (r.ok ? r.event : assert.fail(`an accepted event is invalid under the new config: ${r.reason}`)));
  };
  let foreignInvalid = 0;
  for (const [step, op] of operations.entries()) {
    const { config } = lamina;
    switch (op.kind) {
      case 'ingest':
      case 'resend': {
        const validator = new EventValidator(config);
        const events = op.kind === 'ingest' ? op.events.map((e) => declaredOnly(config, e)) : copiesOf(accepted, op.copies);
        if (events.length === 0) break;
        const valid = events.filter((e) => validator.validate(e).ok);
        const result = await lamina.serving.ingest.ingest(events);
        assert.equal(result.accepted, valid.length, `step ${step}: accepted count`);
        assert.equal(result.rejected.length, events.length - valid.length, `step ${step}: every invalid event is answered`);
        accepted.push(...valid);
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
      case 'catchUp':
        await lamina.archiver.catchUp();
        break;
      case 'compact':
        // Small thresholds so that a few flushes already make something to compact.
        for (const type of Object.keys(config.eventTypes)) await compactTable(DeltaTable.open(lamina.store, lakeLayout.rawTable(type)), { smallRows: 40, minFiles: 2 });
        break;
      case 'crashArchiver':
        await lamina.crashArchiver();
        break;
      case 'batch':
        await lamina.runBatch();
        break;
      case 'batchFull':
        await lamina.runBatch({ full: true });
        break;
      case 'restartSpeed':
        await lamina.restartSpeed();
        break;
      case 'evolve':
        if (version + 1 < configs.length) await lamina.restart(configs[++version]!);
        break;
      case 'query': {
        if (!(op.view in config.views)) break;
        await lamina.waitForRealtime();
        const query: ViewQuery = {
          granularity: op.granularity as RollUp,
          filters: op.filters,
          ...(op.groupBy ? { groupBy: op.groupBy } : {}),
          ...(op.timeZone ? { timeZone: op.timeZone } : {}),
          ...(op.measures ? { measures: op.measures } : {}),
        };
        if (op.from !== undefined) query.from = op.from;
        if (op.to !== undefined) query.to = op.to;
        let answer;
        try {
          answer = await lamina.serving.queries.query(op.view, query);
        } catch (error) {
          if (!(error instanceof ViewIncompleteError)) throw error;
          assert.ok(lamina.serving.generations.list()[0]!.incomplete.has(op.view), `step ${step}: VIEW_INCOMPLETE for ${op.view}, which the served generation has a batch part for`);
          break;
        }
        const expected = bruteForce(config, acceptedEvents(), op.view, query);
        assertSameRows(answer.rows, expected, floatMeasures, `step ${step} ${op.view} ${JSON.stringify(query)} gen ${answer.meta.generation}`);
        break;
      }
    }
  }
  // Finally: everything archived, quarantine holds exactly the foreign invalid messages, every view exact.
  await lamina.waitForRealtime();
  await lamina.archiver.catchUp();
  const manifest = await lamina.runBatch();
  assert.equal(manifest.quarantined, foreignInvalid, 'quarantine table holds every invalid message found on the topic, once');
  for (const view of Object.keys(lamina.config.views)) {
    const all = await lamina.serving.queries.query(view, { granularity: 'all', groupBy: [] });
    assertSameRows(all.rows, bruteForce(lamina.config, acceptedEvents(), view, { granularity: 'all', groupBy: [] }), floatMeasures, `final total of ${view}`);
  }
}
