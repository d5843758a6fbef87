/**
 * The project config: event types and views, declared once. Validated with zod at start so that a
 * typo is reported with its path and the fix, not discovered as a wrong number on a dashboard.
 */
import { z } from 'zod';

export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const identifier = z.string().regex(IDENTIFIER, 'use letters, digits and _ only, not starting with a digit (it becomes a GraphQL name)');
// Record keys are checked in validateConfig: zod reports a bad key only as 'Invalid key in record'.
const name = z.string();

export const fieldTypeSchema = z.enum(['string', 'number', 'integer', 'boolean']);
export type FieldType = z.infer<typeof fieldTypeSchema>;

export const fieldSchema = z.object({
  type: fieldTypeSchema,
  optional: z.boolean().default(false),
});

export const eventTypeSchema = z.object({
  fields: z.record(name, fieldSchema),
  /** The data field whose value keys the log message (decides the partition); default: the event's `key` or id. */
  keyField: identifier.optional(),
});

const fieldRef = z.string().min(1);

export const measureSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('count') }),
  z.object({ kind: z.literal('sum'), field: fieldRef }),
  z.object({ kind: z.literal('min'), field: fieldRef }),
  z.object({ kind: z.literal('max'), field: fieldRef }),
  z.object({ kind: z.literal('avg'), field: fieldRef }),
  z.object({ kind: z.literal('distinct'), field: fieldRef }),
  z.object({ kind: z.literal('quantile'), field: fieldRef, q: z.number().gt(0).lt(1) }),
]);

export const filterSchema = z.object({
  field: fieldRef,
  equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
  in: z.array(z.union([z.string(), z.number(), z.boolean()])).optional(),
});

export const granularitySchema = z.enum(['minute', 'hour']);

export const viewSchema = z.object({
  description: z.string().optional(),
  source: z.union([identifier, z.array(identifier).min(1)]),
  filter: filterSchema.optional(),
  dimensions: z.array(fieldRef).default([]),
  granularity: granularitySchema.default('minute'),
  measures: z.record(name, measureSchema).refine((m) => Object.keys(m).length > 0, 'a view needs at least one measure'),
});

export const laminaConfigSchema = z.object({
  topic: z.string().min(1).default('events'),
  partitions: z.number().int().min(1).max(1024).default(4),
  eventTypes: z.record(name, eventTypeSchema),
  views: z.record(name, viewSchema),
  archiver: z
    .object({
      flushRecords: z.number().int().min(1).default(5000),
      flushIntervalMs: z.number().int().min(10).default(2000),
    })
    .prefault({}),
  batch: z
    .object({
      /** Cron expression (5 or 6 fields) for `lamina batch schedule` and embedded mode. */
      schedule: z.string().default('0 2 * * *'),
      quality: z
        .object({
          /** Refuse to publish a generation whose lake snapshot has fewer events than this. */
          minEvents: z.number().int().min(0).default(0),
          /** Refuse to publish when quarantined / (valid + quarantined) exceeds this ratio. */
          maxQuarantineRatio: z.number().min(0).max(1).default(1),
        })
        .prefault({}),
      /** Called (HTTP POST, JSON body) when a generation fails its quality gates. */
      alertWebhook: z.string().url().optional(),
    })
    .prefault({}),
  speed: z
    .object({
      /** How often the speed layer looks for a newly published generation. */
      generationPollMs: z.number().int().min(50).default(2000),
    })
    .prefault({}),
});

export type LaminaConfigInput = z.input<typeof laminaConfigSchema>;
export type LaminaConfig = z.output<typeof laminaConfigSchema>;
export type ViewConfig = z.output<typeof viewSchema>;
export type EventTypeConfig = z.output<typeof eventTypeSchema>;
export type MeasureConfig = z.output<typeof measureSchema>;
export type Granularity = z.output<typeof granularitySchema>;
