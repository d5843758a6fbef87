/**
 * Quality gates a data team declares, by name, under `batch.quality.gates`: each checks the events a
 * batch run is about to publish (the run's window, per event type) against a bound or against the
 * recent runs in the run history. A failing gate of severity `error` blocks publication (serving keeps
 * the previous generation); `warn` is recorded, logged and counted, and the run publishes.
 * See docs/operations.md ("Quality gates") for what each check reads and costs.
 */
import { z } from 'zod';

const severity = z.enum(['error', 'warn']).default('error');
/** The event type checked; absent: every event type (checked one by one). */
const type = z.string().optional();
/** How many earlier runs the history comparison reads (their median is the reference). */
const recentRuns = z.number().int().min(1).max(100).default(7);

export const qualityGateSchema = z.discriminatedUnion('check', [
  z.strictObject({
    /** The newest event time of the type (in the generation) is at most `maxAgeMinutes` before the run. */
    check: z.literal('freshness'),
    type,
    maxAgeMinutes: z.number().positive(),
    severity,
  }),
  z.strictObject({
    /** The run's new events of the type, against the median of the recent runs': within [minRatio, maxRatio] of it. */
    check: z.literal('volume'),
    type,
    minRatio: z.number().min(0).default(0),
    maxRatio: z.number().positive().optional(),
    recentRuns,
    severity,
  }),
  z.strictObject({
    /** Later copies of an event id among the run's new events (deduplication finds them), at most this share. */
    check: z.literal('uniqueness'),
    type,
    maxDuplicateRatio: z.number().min(0).max(1).default(0),
    severity,
  }),
  z.strictObject({
    /** The mean of a numeric field over the run's new events, within `maxChange` (relative) of the recent runs' median mean. */
    check: z.literal('distribution'),
    type: z.string(),
    field: z.string().min(1),
    maxChange: z.number().positive(),
    recentRuns,
    severity,
  }),
  z.strictObject({
    /**
     * The lake's table has every declared field with its declared type, and no declared field's share
     * of missing values (null) grew by more than `maxNullIncrease` over the recent runs' median.
     */
    check: z.literal('schema'),
    type,
    maxNullIncrease: z.number().min(0).max(1).default(0.1),
    recentRuns,
    severity,
  }),
  z.strictObject({
    /** Every value of `field` among the run's new `type` events appears as `references.field` of some `references.type` event (any time). */
    check: z.literal('referential'),
    type: z.string(),
    field: z.string().min(1),
    references: z.strictObject({ type: z.string(), field: z.string().min(1) }),
    maxMissingRatio: z.number().min(0).max(1).default(0),
    severity,
  }),
]);

export type QualityGate = z.output<typeof qualityGateSchema>;
export type QualityCheck = QualityGate['check'];
