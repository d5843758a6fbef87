/**
 * The invariant's reference: the same aggregation computed over all accepted events at once, with
 * no log, lake, generations or layers in between.
 */
import { EventValidator, ViewAggregate, accumulateRows, dedupWindowOf, duplicateKey, partitionForKey, compileViews, finishRows, type GroupRow, type LaminaConfig, type LaminaEvent, type OrderBy, type ResultRow, type ViewQuery } from '@lamina/shared';
import assert from 'node:assert/strict';

export function bruteForce(config: LaminaConfig, events: readonly LaminaEvent[], viewName: string, query: ViewQuery, orderBy: OrderBy[] = []): ResultRow[] {
  const view = compileViews(config).find((v) => v.name === viewName)!;
  const aggregate = new ViewAggregate(view);
  for (const event of firstCopies(config, events)) aggregate.add(event);
  const target = new Map<string, GroupRow>();
  accumulateRows(view, aggregate.rows(), query, target);
  return finishRows(view, query, target.values(), orderBy);
}

/**
 * The events that count, in the order they were accepted (log order within a partition): with
 * deduplication on, an event whose (partition, type, id, window bucket) an earlier one had is dropped.
 * The partition is the one ingest's key gives it (events here are ingested, not produced with other keys).
 */
export function firstCopies(config: LaminaConfig, events: readonly LaminaEvent[]): LaminaEvent[] {
  const window = dedupWindowOf(config);
  if (window === null) return [...events];
  const validator = new EventValidator(config);
  const seen = new Set<string>();
  return events.filter((e) => {
    const key = `${partitionForKey(validator.keyOf(e), config.partitions)}\u0000${duplicateKey(e.type, e.id, e.ts, window)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Exact equality, except float sums (relative 1e-9, the brief's rounding allowance). */
export function assertSameRows(actual: readonly ResultRow[], expected: readonly ResultRow[], floatMeasures: ReadonlySet<string>, context: string): void {
  assert.equal(actual.length, expected.length, `${context}: row count`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    assert.equal(a.bucket, e.bucket, `${context}: bucket of row ${i}`);
    assert.deepEqual(a.dims, e.dims, `${context}: dims of row ${i}`);
    for (const [name, value] of Object.entries(e.values)) {
      const got = a.values[name];
      if (floatMeasures.has(name) && typeof value === 'number' && typeof got === 'number') {
        assert.ok(Math.abs(got - value) <= 1e-9 * Math.max(1, Math.abs(value)), `${context}: ${name} of row ${i}: ${got} vs ${value}`);
      } else {
        assert.equal(got, value, `${context}: ${name} of row ${i} (${JSON.stringify(a.dims)})`);
      }
    }
  }
}
