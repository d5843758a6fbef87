/**
 * The batch layer's job, as a pipeline of named stages (pipeline/): snapshot → plan → compute → check
 * → write → publish. The engine (DuckDB by default) only computes; Lamina plans, checks and publishes.
 * A run is incremental when it can be (see run-plan.ts) and full on demand (`lamina batch run --full`)
 * or when a view's definition changed — the Lambda promise: a fixed definition is corrected by the
 * next run.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  GenerationStore,
  LaminaError,
  counter,
  dedupWindowOf,
  gauge,
  openLake,
  LogEpochs,
  LogGuard,
  LogMismatchError,
  type BatchEngine,
  type EpochRecord,
  type EventLog,
  type GenerationManifest,
  type LaminaConfig,
  type LaminaLake,
  type Logger,
  type ObjectStore,
  type Registry,
  type ViewTableRef,
} from '@lamina/shared';
import { compactTable } from './compactor.js';
import { DuckDbEngine } from './engines/duckdb/duckdb-engine.js';
import { takeSnapshot } from './pipeline/lake-snapshot.js';
import { planRun } from './pipeline/run-plan.js';
import { StagedFiles } from './pipeline/staged-files.js';
import { computeViews } from './pipeline/compute-views.js';
import { runQualityGates } from './pipeline/quality-gates.js';
import { expectedRows, filesTouching } from './pipeline/file-selection.js';
import { writeView } from './pipeline/write-views.js';

export class QualityGateError extends LaminaError {
  constructor(message: string, readonly manifest: GenerationManifest) {
    super('QUALITY_GATE_FAILED', message);
  }
}

export interface BatchJobOptions {
  config: LaminaConfig;
  store: ObjectStore;
  /**
   * The log, to check that it is the log the lake describes before a generation is published (and to
   * record its identity in the manifest). Without it the run trusts the lake's newest epoch record.
   */
  log?: EventLog;
  logger: Logger;
  registry: Registry;
  /** A local folder for the engine's spill files and staged inputs (emptied after each run). */
  scratchDir: string;
  /** Told when a run refuses to publish: failed quality gates, or a log that does not match the lake. */
  onAlert?: (alert: BatchAlert) => Promise<void>;
}

export interface BatchAlert {
  /** lamina_quality_gate_failed | lamina_log_mismatch */
  alert: string;
  message: string;
  /** The manifest the run would have published (quality gates). */
  manifest?: GenerationManifest;
}

export interface BatchRunOptions {
  /** Recompute every view from the whole lake instead of incrementally. */
  full?: boolean;
}

export class BatchJob {
  private readonly generations: GenerationStore;
  private readonly metrics;
  private running: Promise<GenerationManifest> | undefined;
  private lake: LaminaLake | undefined;
  private readonly guard: LogGuard | undefined;

  constructor(private readonly options: BatchJobOptions) {
    this.generations = new GenerationStore(options.store);
    const { config, log, store, logger, registry } = options;
    this.guard = log ? new LogGuard({ log, store, topic: config.topic, partitions: config.partitions, logger, registry }) : undefined;
    const r = options.registry;
    this.metrics = {
      runs: counter(r, 'lamina_batch_runs_total', 'Batch runs by outcome', ['outcome']),
      generation: gauge(r, 'lamina_batch_published_generation', 'Newest generation this process published'),
      events: gauge(r, 'lamina_batch_events', 'Events covered by the newest published generation'),
      duplicates: gauge(r, 'lamina_batch_duplicates', 'Of those, later copies of an event the views do not count (deduplication)'),
      stageSeconds: gauge(r, 'lamina_batch_stage_seconds', 'Duration of each stage of the newest batch run', ['stage']),
    };
  }

  /** Runs now; a call while a run is going on joins that run instead of starting another. */
  run(options: BatchRunOptions = {}): Promise<GenerationManifest> {
    this.running ??= this.runOnce(options).finally(() => (this.running = undefined));
    return this.running;
  }

  /** The lake's current log epoch (none before any process met the log): checked against the log when there is one. */
  private async epochRecord(): Promise<EpochRecord | undefined> {
    if (this.guard) return this.guard.verify();
    return new LogEpochs(this.options.store).current();
  }

  private async alert(alert: BatchAlert): Promise<void> {
    await this.options.onAlert?.(alert).catch((error) => this.options.logger.error({ err: error }, 'batch: alert hook failed'));
  }

  private async engine(scratchDir: string): Promise<BatchEngine> {
    const { batch } = this.options.config;
    return DuckDbEngine.open({ memoryLimit: batch.memoryLimit, ...(batch.threads ? { threads: batch.threads } : {}), scratchDir, logger: this.options.logger });
  }

  private async runOnce(options: BatchRunOptions): Promise<GenerationManifest> {
    const { config, store, logger } = this.options;
    const started = Date.now();
    const timings: Record<string, number> = {};
    const stage = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
      const t = Date.now();
      try {
        return await work();
      } finally {
        timings[name] = Date.now() - t;
        this.metrics.stageSeconds.set({ stage: name }, timings[name]! / 1000);
      }
    };
    const scratch = join(this.options.scratchDir, `batch-${randomUUID()}`);
    await mkdir(scratch, { recursive: true });
    let engine: BatchEngine | undefined;
    try {
      const lake = (this.lake ??= await openLake(store, config));
      const epochRecord = await this.epochRecord();
      const previous = await this.generations.latest();
      // Fewer, larger raw files first: the rows stay the same, the reads get cheaper.
      await stage('compact', async () => {
        for (const table of lake.raw.values()) {
          await compactTable(table, { logger, coalesceBelow: previous?.watermark }).catch((error) => logger.warn({ err: error, table: table.tablePath }, 'batch: compaction failed; reading the small files as they are'));
        }
      });
      const snapshot = await stage('snapshot', () => takeSnapshot(lake, config, previous, epochRecord ?? { epoch: 0, log: { clusterId: '', topic: config.topic }, startedAt: '', sealed: [] }));
      const plan = await stage('plan', () => planRun(store, config, snapshot, previous, { full: options.full, maxDeltaFilesPerDate: config.batch.maxDeltaFilesPerDate }));
      logger.info({ generation: plan.generation, mode: plan.mode, window: plan.window, views: plan.views.map((v) => ({ view: v.view.name, tasks: v.tasks.map((t) => `${t.kind}:${t.days.length || 'all'}`) })) }, 'batch: run planned');
      engine = await this.engine(scratch);
      const computed = await stage('compute', () => computeViews(engine!, plan, snapshot, new StagedFiles(store, scratch), join(scratch, 'out'), logger, dedupWindowOf(config)));

      const counted = computed.counts.reduce((n, c) => n + c.rows, 0);
      const events = (plan.mode === 'incremental' ? plan.previous!.events : 0) + counted;
      const duplicates = (plan.mode === 'incremental' ? (plan.previous!.duplicates ?? 0) : 0) + computed.counts.reduce((n, c) => n + c.duplicates, 0);
      const quarantined = expectedRows(snapshot.quarantine.files, plan.coverage) ?? 0;
      const times = [...computed.counts.map((c) => c.maxLogTime), plan.mode === 'incremental' ? plan.previous!.watermarkTime : null].filter((t): t is number => t !== null);
      const quality = await stage('check', async () =>
        runQualityGates(config, {
          reads: computed.counts.map((c) => ({ type: c.type, counted: c.rows, expected: expectedRows(snapshot.raw.get(c.type)!.files, plan.window) })),
          events,
          quarantined,
          // Compared within the previous generation's epoch: its watermark then, its frontier now (sealed or current).
          watermark: previous && previous.epoch !== snapshot.epoch ? (snapshot.sealed.find((s) => s.epoch === previous.epoch)?.frontier ?? []) : snapshot.watermark,
          previousWatermark: previous?.watermark,
        }),
      );
      const failed = quality.filter((q) => !q.passed);
      const manifest: GenerationManifest = {
        generation: plan.generation, topic: config.topic, createdAt: new Date().toISOString(), lakeVersion: snapshot.frontierVersion,
        tableVersions: Object.fromEntries([...snapshot.raw.values(), snapshot.quarantine].map((s) => [s.tablePath, s.version])),
        epoch: snapshot.epoch, log: epochRecord?.log ?? null, sealedEpochs: snapshot.sealed, watermark: snapshot.watermark, watermarkTime: times.length > 0 ? Math.max(...times) : null,
        events, duplicates, quarantined, views: {}, quality, mode: plan.mode, engine: engine.name, timingsMs: timings,
      };
      if (failed.length > 0) {
        logger.error({ generation: plan.generation, failed }, 'batch: quality gates failed; generation NOT published, serving keeps the previous one');
        this.metrics.runs.inc({ outcome: 'quality_failed' });
        const message = `generation ${plan.generation} failed quality gates: ${failed.map((f) => `${f.gate}: ${f.detail}`).join('; ')}`;
        await this.alert({ alert: 'lamina_quality_gate_failed', message, manifest });
        throw new QualityGateError(message, manifest);
      }
      const views: Record<string, ViewTableRef> = {};
      await stage('write', async () => {
        const rollups = new Map<string, NonNullable<ViewTableRef['rollups']>>();
        for (const view of computed.views) {
          const ref = await writeView(store, view, plan.generation);
          const { name } = view.plan.view;
          if (view.plan.grain === 'finest') views[name] = ref;
          else rollups.set(name, { ...rollups.get(name), [view.plan.grain]: ref });
        }
        for (const [name, grains] of rollups) views[name] = { ...views[name]!, rollups: grains };
      });
      manifest.views = views;
      // The log may have been reset while the run computed: check again right before publishing.
      if (this.guard) await this.guard.verify(snapshot.epoch);
      timings.total = Date.now() - started;
      // Stage 6, publish: one create-only write; of two racing runs exactly one publishes this number.
      await stage('publish', () => this.generations.publish(manifest));
      this.metrics.runs.inc({ outcome: 'published' });
      this.metrics.generation.set(plan.generation);
      this.metrics.events.set(events);
      this.metrics.duplicates.set(duplicates);
      logger.info({ generation: plan.generation, mode: plan.mode, events, duplicates, watermark: snapshot.watermark, timings }, 'batch: generation published');
      return manifest;
    } catch (error) {
      if (error instanceof LogMismatchError) {
        this.metrics.runs.inc({ outcome: 'log_mismatch' });
        logger.error({ err: error }, 'batch: the log does not match the lake; generation NOT published');
        await this.alert({ alert: 'lamina_log_mismatch', message: error.message });
      } else if (!(error instanceof QualityGateError)) this.metrics.runs.inc({ outcome: 'error' });
      throw error;
    } finally {
      await engine?.close();
      await rm(scratch, { recursive: true, force: true });
    }
  }
}
