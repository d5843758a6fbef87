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
  gauge,
  openLake,
  type BatchEngine,
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
  logger: Logger;
  registry: Registry;
  /** A local folder for the engine's spill files and staged inputs (emptied after each run). */
  scratchDir: string;
  /** Called when a generation fails its gates (after logging and counting). */
  onQualityFailure?: (manifest: GenerationManifest) => Promise<void>;
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

  constructor(private readonly options: BatchJobOptions) {
    this.generations = new GenerationStore(options.store);
    const r = options.registry;
    this.metrics = {
      runs: counter(r, 'lamina_batch_runs_total', 'Batch runs by outcome', ['outcome']),
      generation: gauge(r, 'lamina_batch_published_generation', 'Newest generation this process published'),
      events: gauge(r, 'lamina_batch_events', 'Events covered by the newest published generation'),
      stageSeconds: gauge(r, 'lamina_batch_stage_seconds', 'Duration of each stage of the newest batch run', ['stage']),
    };
  }

  /** Runs now; a call while a run is going on joins that run instead of starting another. */
  run(options: BatchRunOptions = {}): Promise<GenerationManifest> {
    this.running ??= this.runOnce(options).finally(() => (this.running = undefined));
    return this.running;
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
      const previous = await this.generations.latest();
      // Fewer, larger raw files first: the rows stay the same, the reads get cheaper.
      await stage('compact', async () => {
        for (const table of lake.raw.values()) {
          await compactTable(table, { logger, coalesceBelow: previous?.watermark }).catch((error) => logger.warn({ err: error, table: table.tablePath }, 'batch: compaction failed; reading the small files as they are'));
        }
      });
      const snapshot = await stage('snapshot', () => takeSnapshot(lake, config, previous));
      const plan = await stage('plan', () => planRun(store, config, snapshot, previous, { full: options.full, maxDeltaFilesPerDate: config.batch.maxDeltaFilesPerDate }));
      logger.info({ generation: plan.generation, mode: plan.mode, window: plan.window, views: plan.views.map((v) => ({ view: v.view.name, tasks: v.tasks.map((t) => `${t.kind}:${t.days.length || 'all'}`) })) }, 'batch: run planned');
      engine = await this.engine(scratch);
      const computed = await stage('compute', () => computeViews(engine!, plan, snapshot, new StagedFiles(store, scratch), join(scratch, 'out'), logger));

      const counted = computed.counts.reduce((n, c) => n + c.rows, 0);
      const events = (plan.mode === 'incremental' ? plan.previous!.events : 0) + counted;
      const quarantined = expectedRows(filesTouching(snapshot.quarantine.files, plan.coverage), plan.coverage) ?? 0;
      const times = [...computed.counts.map((c) => c.maxLogTime), plan.mode === 'incremental' ? plan.previous!.watermarkTime : null].filter((t): t is number => t !== null);
      const quality = await stage('check', async () =>
        runQualityGates(config, {
          reads: computed.counts.map((c) => ({ type: c.type, counted: c.rows, expected: expectedRows(filesTouching(snapshot.raw.get(c.type)!.files, plan.window), plan.window) })),
          events,
          quarantined,
          watermark: snapshot.watermark,
          previousWatermark: previous?.watermark,
        }),
      );
      const failed = quality.filter((q) => !q.passed);
      const manifest: GenerationManifest = {
        generation: plan.generation, topic: config.topic, createdAt: new Date().toISOString(), lakeVersion: snapshot.frontierVersion,
        tableVersions: Object.fromEntries([...snapshot.raw.values(), snapshot.quarantine].map((s) => [s.tablePath, s.version])),
        epoch: snapshot.epoch, watermark: snapshot.watermark, watermarkTime: times.length > 0 ? Math.max(...times) : null,
        events, quarantined, views: {}, quality, mode: plan.mode, engine: engine.name, timingsMs: timings,
      };
      if (failed.length > 0) {
        logger.error({ generation: plan.generation, failed }, 'batch: quality gates failed; generation NOT published, serving keeps the previous one');
        this.metrics.runs.inc({ outcome: 'quality_failed' });
        await this.options.onQualityFailure?.(manifest).catch((error) => logger.error({ err: error }, 'batch: alert hook failed'));
        throw new QualityGateError(`generation ${plan.generation} failed quality gates: ${failed.map((f) => `${f.gate}: ${f.detail}`).join('; ')}`, manifest);
      }
      const views: Record<string, ViewTableRef> = {};
      await stage('write', async () => {
        for (const view of computed.views) views[view.plan.view.name] = await writeView(store, view, plan.generation);
      });
      manifest.views = views;
      timings.total = Date.now() - started;
      // Stage 6, publish: one create-only write; of two racing runs exactly one publishes this number.
      await stage('publish', () => this.generations.publish(manifest));
      this.metrics.runs.inc({ outcome: 'published' });
      this.metrics.generation.set(plan.generation);
      this.metrics.events.set(events);
      logger.info({ generation: plan.generation, mode: plan.mode, events, watermark: snapshot.watermark, timings }, 'batch: generation published');
      return manifest;
    } catch (error) {
      if (!(error instanceof QualityGateError)) this.metrics.runs.inc({ outcome: 'error' });
      throw error;
    } finally {
      await engine?.close();
      await rm(scratch, { recursive: true, force: true });
    }
  }
}
