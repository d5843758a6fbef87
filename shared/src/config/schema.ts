/**
 * The project config: event types and views, declared once. Validated with zod at start so that a
 * typo is reported with its path and the fix, not discovered as a wrong number on a dashboard.
 * Objects are strict: an unknown key (a misspelt `optinal`) is an error, not silently ignored.
 */
import { z } from 'zod';
import { servingLimitsSchema } from './serving-limits.js';
import { qualityGateSchema } from './quality-gates.js';

export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Record keys are checked in validateConfig: zod reports a bad key only as 'Invalid key in record'.
const name = z.string();

export const fieldTypeSchema = z.enum(['string', 'number', 'integer', 'boolean', 'timestamp']);
export type FieldType = z.infer<typeof fieldTypeSchema>;

export const fieldSchema = z.strictObject({
  type: fieldTypeSchema,
  optional: z.boolean().default(false),
  /** Bounds of a number or integer field (inclusive): a negative duration, a price of 1e308, refused with the reason. */
  min: z.number().finite().optional(),
  max: z.number().finite().optional(),
  /** The value an event without this field gets (only for optional fields); old lake files read with it too. */
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  description: z.string().optional(),
});

/** How a new version of an event type's schema must relate to the previous one (Confluent's terms). */
export const compatibilitySchema = z.enum(['backward', 'forward', 'full', 'none']);
export type Compatibility = z.infer<typeof compatibilitySchema>;

export const eventTypeSchema = z.strictObject({
  /** Field paths (`url`, or `geo.country` for a nested value) and their types. */
  fields: z.record(name, fieldSchema),
  /** The data field whose value keys the log message (decides the partition); default: the event's `key` or id. */
  keyField: z.string().optional(),
  compatibility: compatibilitySchema.default('backward'),
  description: z.string().optional(),
});

const fieldRef = z.string().min(1);
const literal = z.union([z.string(), z.number(), z.boolean()]);

const description = z.string().optional();
export const measureSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('count'), description }),
  z.strictObject({ kind: z.literal('sum'), field: fieldRef, description }),
  z.strictObject({ kind: z.literal('min'), field: fieldRef, description }),
  z.strictObject({ kind: z.literal('max'), field: fieldRef, description }),
  z.strictObject({ kind: z.literal('avg'), field: fieldRef, description }),
  z.strictObject({ kind: z.literal('distinct'), field: fieldRef, description }),
  z.strictObject({ kind: z.literal('quantile'), field: fieldRef, q: z.number().gt(0).lt(1), description }),
]);

export const filterSchema = z.strictObject({
  field: fieldRef,
  equals: literal.optional(),
  in: z.array(literal).optional(),
});

export const granularitySchema = z.enum(['minute', 'hour']);

export const viewSchema = z.strictObject({
  description: z.string().optional(),
  source: z.union([z.string(), z.array(z.string()).min(1)]),
  filter: filterSchema.optional(),
  dimensions: z.array(fieldRef).default([]),
  granularity: granularitySchema.default('minute'),
  measures: z.record(name, measureSchema).refine((m) => Object.keys(m).length > 0, 'a view needs at least one measure'),
});

export const batchEngineSchema = z.enum(['duckdb', 'spark']);

export const laminaConfigSchema = z.strictObject({
  topic: z.string().min(1).default('events'),
  partitions: z.number().int().min(1).max(1024).default(4),
  eventTypes: z.record(name, eventTypeSchema),
  views: z.record(name, viewSchema),
  archiver: z
    .strictObject({
      flushRecords: z.number().int().min(1).default(5000),
      flushIntervalMs: z.number().int().min(10).default(2000),
    })
    .prefault({}),
  batch: z
    .strictObject({
      /** Cron expression (5 or 6 fields) for `lamina batch schedule` and embedded mode. */
      schedule: z.string().default('0 2 * * *'),
      /** The engine that computes the views from the lake: DuckDB in-process, or Spark (`batch.spark`). */
      engine: batchEngineSchema.default('duckdb'),
      /** The Spark engine's session (docs/spark.md): used when `engine` is 'spark'. */
      spark: z
        .strictObject({
          /** Spark master URL: local[2], spark://host:7077, yarn, k8s://https://host:443. */
          master: z.string().min(1).default('local[2]'),
          /** A Python interpreter that can import pyspark (infra/spark/requirements.txt pins the versions). */
          python: z.string().min(1).default('python3'),
          /** Jars for spark.jars (local paths or URLs): delta-spark, and hadoop-aws for S3A (infra/spark/packages.txt). */
          jars: z.array(z.string().min(1)).default([]),
          /** Further Spark settings (e.g. spark.executor.memory, fs.s3a.*); they win over Lamina's defaults. */
          conf: z.record(z.string().min(1), z.string()).default({}),
        })
        .prefault({}),
      /** The engine's memory limit (DuckDB syntax, e.g. '2GB'); past it DuckDB spills to `spillDir`. */
      memoryLimit: z.string().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, "a size such as '512MB' or '4GB'").default('2GB'),
      /** Engine threads; default: one per core. */
      threads: z.number().int().min(1).max(256).optional(),
      /**
       * An incremental run appends a delta file per touched date of a view; once a date has this many
       * files the run rewrites it from the raw events instead (one file again).
       */
      maxDeltaFilesPerDate: z.number().int().min(1).max(1000).default(8),
      quality: z
        .strictObject({
          /** Refuse to publish a generation whose lake snapshot has fewer events than this. */
          minEvents: z.number().int().min(0).default(0),
          /** Refuse to publish when quarantined / (valid + quarantined) exceeds this ratio. */
          maxQuarantineRatio: z.number().min(0).max(1).default(1),
          /** Declared gates, by name (see quality-gates.ts). */
          gates: z.record(name, qualityGateSchema).default({}),
        })
        .prefault({}),
      /** A step of a run (snapshot, plan, compute, check, write, publish) failing after this long stops the run (retriable, exit 75). */
      stepTimeoutMinutes: z.number().positive().max(7 * 24 * 60).default(120),
      /** Attempts after the first for a step whose failure is retriable (the store or log unreachable). */
      stepRetries: z.number().int().min(0).max(10).default(2),
      /** The lease a run holds on the generation it computes (renewed every third of it): how long a crashed run blocks the next one. */
      leaseSeconds: z.number().int().min(5).max(86_400).default(60),
      /** Called (HTTP POST, JSON body) when a generation fails its quality gates. */
      alertWebhook: z.string().url().optional(),
    })
    .prefault({}),
  serving: z
    .strictObject({
      /** Memory for batch view data held by a serving process (data files read on demand, least recently used out). */
      memoryBudgetMB: z.number().int().min(16).max(1_000_000).default(256),
      /** Answers and their batch parts kept per process (one per distinct query of a generation); 0 turns caching off. */
      cachedQueries: z.number().int().min(0).max(100_000).default(128),
      /** Heap for those cached answers and batch parts, in all (least recently used out past it). */
      answerCacheMB: z.number().int().min(1).max(100_000).default(128),
      /** How long a query with `consistentWith` (an ingest token) waits for its events before NOT_YET_VISIBLE. */
      consistencyWaitMs: z.number().int().min(0).max(60_000).default(5_000),
      /** What one GraphQL request may ask (aliases, view fields, depth, tokens, rows, time, body bytes). */
      limits: servingLimitsSchema.prefault({}),
    })
    .prefault({}),
  /**
   * Events of one type with the same id, in the same log partition, whose event times fall in the
   * same UTC `window` (hour or day) are one event: the first in log order counts, later ones are
   * dropped — alike by the batch SQL and the speed fold. HTTP ingest puts every retry of an event in
   * the same partition (its key is derived from the event), so a retry is never counted twice.
   * 'off' counts every accepted event. See docs/architecture.md, "Deduplication".
   */
  /**
   * Retention: what `lamina lake vacuum` removes, and — with `days` set — what every published batch
   * run removes in its clean-up step: objects older than `days` that no live generation reads.
   */
  /**
   * What one ingest request (HTTP, `lamina backfill`) and each of its events may hold. A hostile or
   * broken client meets these before anything is parsed into the log; an event past a limit is
   * refused with its reason and the valid events of the same request are kept.
   */
  ingest: z
    .strictObject({
      maxBodyBytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(16 * 1024 * 1024),
      maxEventsPerRequest: z.number().int().min(1).max(1_000_000).default(10_000),
      /** Nesting of objects and arrays inside an event. */
      maxDepth: z.number().int().min(2).max(1000).default(32),
      /** Characters of any one string inside an event (ids and keys have their own, smaller bounds). */
      maxStringLength: z.number().int().min(16).max(100_000_000).default(8192),
      /** Values (objects, arrays and leaves) inside one event. */
      maxValues: z.number().int().min(1).max(10_000_000).default(1000),
      /** Event times accepted: from this many days before now to this many minutes after (clocks drift). */
      maxPastDays: z.number().positive().max(100_000).default(3650),
      maxFutureMinutes: z.number().min(0).max(1_000_000).default(60),
    })
    .prefault({}),
  retention: z
    .strictObject({
      days: z.number().positive().max(36_500).optional(),
      /** The newest generations kept whatever their age. */
      keepGenerations: z.number().int().min(1).max(1000).default(3),
    })
    .prefault({}),
  deduplication: z
    .strictObject({
      window: z.enum(['off', 'hour', 'day']).default('day'),
    })
    .prefault({}),
  speed: z
    .strictObject({
      /** How often the speed layer looks for a newly published generation. */
      generationPollMs: z.number().int().min(50).default(2000),
    })
    .prefault({}),
});

export type LaminaConfigInput = z.input<typeof laminaConfigSchema>;
export type LaminaConfig = z.output<typeof laminaConfigSchema>;
export type ViewConfig = z.output<typeof viewSchema>;
export type EventTypeConfig = z.output<typeof eventTypeSchema>;
export type FieldConfig = z.output<typeof fieldSchema>;
export type MeasureConfig = z.output<typeof measureSchema>;
export type Granularity = z.output<typeof granularitySchema>;
