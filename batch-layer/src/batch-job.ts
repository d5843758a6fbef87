/**
 * The batch layer's job, as a pipeline of named steps (pipeline/, run-steps.ts): snapshot → plan →
 * compute → check → write → publish → clean up, each recorded in the run history, retried when its
 * failure is retriable and bounded in time; a lease on the generation keeps two schedulers from
 * computing it twice. The engine (DuckDB by default) only computes; Lamina plans, checks and publishes.
 * A run is incremental when it can be (see run-plan.ts) and full on demand (`lamina batch run --full`)
 * or when a view's definition changed — the Lambda promise: a fixed definition is corrected by the
 * next run.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  ConfigError,
  GenerationStore,
  LaminaError,
  counter,
  createRegistry,
  dedupWindowOf,
  gauge,
  openLake,
  LogEpochs,
  LogGuard,
  LogMismatchError,
  LeaseHeldError,
  RunHistory,
  RunLease,
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
import { SparkEngine } from './engines/spark/spark-engine.js';
import { takeSnapshot } from './pipeline/lake-snapshot.js';
import { planRun } from './pipeline/run-plan.js';
import { StagedFiles } from './pipeline/staged-files.js';
import { computeViews } from './pipeline/compute-views.js';
import { runQualityGates } from './pipeline/quality-gates.js';
import { expectedRows } from './pipeline/file-selection.js';
import { writeView } from './pipeline/write-views.js';
import { gatherCheckFacts } from './pipeline/check-facts.js';
import { evaluateDeclaredGates } from './pipeline/declared-gates.js';
import { RunSteps } from './pipeline/run-steps.js';
import { vacuumLake } from './lake-vacuum.js';
import { BoundedEventLog } from './replay/bounded-log.js';
import { archiveIntoScratchLake, checkReplayable, copyViewTables, replayedManifest } from './replay/replay-from-log.js';

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
  /** lamina_quality_gate_failed | lamina_log_mismatch | lamina_batch_failed */
  alert: string;
  message: string;
  /** The manifest the run would have published (quality gates). */
  manifest?: GenerationManifest;
}

export interface BatchRunOptions {
  /** Recompute every view from the whole lake instead of incrementally. */
  full?: boolean;
  /** Why it runs, for the history (`batch run`, `scheduled`, `changed views`, ...). */
  trigger?: string;
  /**
   * Gates to publish through when they fail (declared gate names, `min-events`, `quarantine-ratio`):
   * after a failed run was reviewed and its cause fixed, the events it flagged stay in the append-only
   * lake, so the next run would flag them again. Recorded as waived in the manifest and the history.
   */
  waive?: string[];
  /** Rebuild every view from the log instead of the lake (a Kappa replay; see replay/replay-from-log.ts). */
  fromLog?: boolean;
}

/** Built-in gates that guard exactness, never waived. */
const UNWAIVABLE = new Set(['complete-read', 'watermark-monotonic']);

function checkWaivable(config: LaminaConfig, waive: readonly string[]): void {
  const known = new Set([...Object.keys(config.batch.quality.gates), 'min-events', 'quarantine-ratio']);
  const wrong = waive.filter((name) => !known.has(name));
  if (wrong.length > 0) {
    const why = wrong.map((name) => (UNWAIVABLE.has(name) ? `'${name}' guards exactness and cannot be waived` : `'${name}' is not a gate`)).join('; ');
    throw new ConfigError(`--waive: ${why} (waivable: ${[...known].join(', ')})`);
  }
}

export class BatchJob {
  private readonly generations: GenerationStore;
  private readonly history: RunHistory;
  private readonly metrics;
  private running: Promise<GenerationManifest> | undefined;
  private lake: LaminaLake | undefined;
  private readonly guard: LogGuard | undefined;

  constructor(private readonly options: BatchJobOptions) {
    this.generations = new GenerationStore(options.store);
    this.history = new RunHistory(options.store);
    const { config, log, store, logger, registry } = options;
    this.guard = log ? new LogGuard({ log, store, topic: config.topic, partitions: config.partitions, logger, registry }) : undefined;
    const r = options.registry;
    this.metrics = {
      runs: counter(r, 'lamina_batch_runs_total', 'Batch runs by outcome', ['outcome']),
      generation: gauge(r, 'lamina_batch_published_generation', 'Newest generation this process published'),
      events: gauge(r, 'lamina_batch_events', 'Events covered by the newest published generation'),
      duplicates: gauge(r, 'lamina_batch_duplicates', 'Of those, later copies of an event the views do not count (deduplication)'),
      stageSeconds: gauge(r, 'lamina_batch_stage_seconds', 'Duration of each stage of the newest batch run', ['stage']),
      gates: gauge(r, 'lamina_batch_gate_passed', 'Quality gates of the newest batch run: 1 passed, 0 failed', ['gate', 'severity']),
    };
  }

  /** Runs now; a call while a run is going on joins that run instead of starting another. */
  run(options: BatchRunOptions = {}): Promise<GenerationManifest> {
    this.running ??= this.runOnce(options).finally(() => (this.running = undefined));
    return this.running;
  }

  /** A run's steps, under the config's step policy. */
  private newSteps(trigger: string): RunSteps {
    const { batch } = this.options.config;
    return new RunSteps(this.history, this.options.logger, { retries: batch.stepRetries, timeoutMs: batch.stepTimeoutMinutes * 60_000, backoffMs: 1000 }, trigger, (name, ms) =>
      this.metrics.stageSeconds.set({ stage: name }, ms / 1000),
    );
  }

  /** What every run starts from: the lake, its log epoch (a placeholder before any process met the log) and the newest generation. */
  private async startingPoint(): Promise<{ lake: LaminaLake; epochRecord: EpochRecord | undefined; epoch: EpochRecord; previous: GenerationManifest | undefined }> {
    const { config, store } = this.options;
    const lake = (this.lake ??= await openLake(store, config));
    const epochRecord = await this.epochRecord();
    const previous = await this.generations.latest();
    return { lake, epochRecord, epoch: epochRecord ?? { epoch: 0, log: { clusterId: '', topic: config.topic }, startedAt: '', sealed: [] }, previous };
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
    const common = { memoryLimit: batch.memoryLimit, ...(batch.threads ? { threads: batch.threads } : {}), scratchDir, logger: this.options.logger };
    const remote = this.options.store.remoteLocation?.();
    if (batch.engine === 'spark') return SparkEngine.open({ ...common, ...batch.spark, ...(remote ? { lake: { store: this.options.store, location: remote } } : {}) });
    return DuckDbEngine.open(common);
  }

  private async runOnce(options: BatchRunOptions): Promise<GenerationManifest> {
    if (options.fromLog) return this.replayFromLog(options);
    const { config, store, logger } = this.options;
    const started = Date.now();
    checkWaivable(config, options.waive ?? []);
    const steps = this.newSteps(options.trigger ?? 'batch run');
    const { timings } = steps;
    const scratch = join(this.options.scratchDir, `batch-${randomUUID()}`);
    await mkdir(scratch, { recursive: true });
    let engine: BatchEngine | undefined;
    let lease: RunLease | undefined;
    await steps.start();
    try {
      const { lake, epochRecord, epoch, previous } = await this.startingPoint();
      const snapshot = await steps.step('snapshot', async () => {
        // Fewer, larger raw files first: the rows stay the same, the reads get cheaper.
        for (const table of lake.raw.values()) {
          await compactTable(table, { logger, coalesceBelow: previous?.watermark }).catch((error) => logger.warn({ err: error, table: table.tablePath }, 'batch: compaction failed; reading the small files as they are'));
        }
        return takeSnapshot(lake, config, previous, epoch);
      });
      const plan = await steps.step('plan', () => planRun(store, config, snapshot, previous, { full: options.full, maxDeltaFilesPerDate: config.batch.maxDeltaFilesPerDate }));
      steps.planned(plan.generation, plan.mode);
      // Two schedulers started at once: the second stops here, before computing anything.
      lease = await RunLease.acquire(store, plan.generation, { runId: steps.runId, holder: RunSteps.holder() }, config.batch.leaseSeconds * 1000);
      logger.info({ generation: plan.generation, mode: plan.mode, run: steps.runId, window: plan.window, views: plan.views.map((v) => ({ view: v.view.name, tasks: v.tasks.map((t) => `${t.kind}:${t.days.length || 'all'}`) })) }, 'batch: run planned');
      engine = await this.engine(scratch);
      const staged = new StagedFiles(store, scratch, engine.storeUri?.bind(engine));
      const computed = await steps.step('compute', ({ progress }) => computeViews(engine!, plan, snapshot, staged, join(scratch, 'out'), logger, dedupWindowOf(config), (done, total, rows) => progress(done, total, 'engine calls', rows)));
      const counted = computed.counts.reduce((n, c) => n + c.rows, 0);
      const events = (plan.mode === 'incremental' ? plan.previous!.events : 0) + counted;
      const duplicates = (plan.mode === 'incremental' ? (plan.previous!.duplicates ?? 0) : 0) + computed.counts.reduce((n, c) => n + c.duplicates, 0);
      const quarantined = expectedRows(snapshot.quarantine.files, plan.coverage) ?? 0;
      const times = [...computed.counts.map((c) => c.maxLogTime), plan.mode === 'incremental' ? plan.previous!.watermarkTime : null].filter((t): t is number => t !== null);
      steps.written(computed.views.reduce((n, v) => n + v.tasks.reduce((m, t) => m + t.files.reduce((k, f) => k + f.rows, 0), 0), 0));
      const quality = await steps.step('check', async () => {
        const builtIn = runQualityGates(config, {
          reads: computed.counts.map((c) => ({ type: c.type, counted: c.rows, expected: expectedRows(snapshot.raw.get(c.type)!.files, plan.window) })),
          events,
          quarantined,
          // Compared within the previous generation's epoch: its watermark then, its frontier now (sealed or current).
          watermark: previous && previous.epoch !== snapshot.epoch ? (snapshot.sealed.find((s) => s.epoch === previous.epoch)?.frontier ?? []) : snapshot.watermark,
          previousWatermark: previous?.watermark,
        });
        const facts = await gatherCheckFacts(engine!, config, plan, snapshot, staged, computed.counts);
        steps.facts(facts.facts, counted);
        const recent = Object.keys(config.batch.quality.gates).length > 0 ? await this.history.recentPublished(Math.max(...Object.values(config.batch.quality.gates).map((g) => ('recentRuns' in g ? g.recentRuns : 1)))) : [];
        const declared = evaluateDeclaredGates({ config, facts: facts.facts, recent, columns: facts.columns, references: facts.references, now: Date.now() });
        return [...builtIn, ...declared];
      });
      const waive = new Set(options.waive ?? []);
      for (const q of quality) if (!q.passed && (waive.has(q.gate) || waive.has(q.gate.split('.')[0]!))) q.waived = true;
      steps.gates(quality);
      for (const q of quality) this.metrics.gates.set({ gate: q.gate, severity: q.severity ?? 'error' }, q.passed ? 1 : 0);
      const failed = quality.filter((q) => !q.passed && !q.waived && (q.severity ?? 'error') === 'error');
      const waived = quality.filter((q) => q.waived);
      if (waived.length > 0) logger.warn({ generation: plan.generation, waived }, 'batch: failed quality gates waived by the operator; publishing');
      const warned = quality.filter((q) => !q.passed && q.severity === 'warn');
      if (warned.length > 0) logger.warn({ generation: plan.generation, warned }, 'batch: quality gates of severity warn failed; publishing anyway');
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
      await steps.step('write', async ({ progress }) => {
        const rollups = new Map<string, NonNullable<ViewTableRef['rollups']>>();
        for (const [i, view] of computed.views.entries()) {
          lease!.check();
          const ref = await writeView(store, view, plan.generation);
          const { name } = view.plan.view;
          if (view.plan.grain === 'finest') views[name] = ref;
          else rollups.set(name, { ...rollups.get(name), [view.plan.grain]: ref });
          progress(i + 1, computed.views.length, 'view tables');
        }
        for (const [name, grains] of rollups) views[name] = { ...views[name]!, rollups: grains };
      });
      manifest.views = views;
      // The log may have been reset while the run computed: check again right before publishing.
      if (this.guard) await this.guard.verify(snapshot.epoch);
      lease.check();
      timings.total = Date.now() - started;
      // Publish: one create-only write; of two racing runs exactly one publishes this number.
      await steps.step('publish', () => this.generations.publish(manifest));
      this.metrics.runs.inc({ outcome: 'published' });
      this.metrics.generation.set(plan.generation);
      this.metrics.events.set(events);
      this.metrics.duplicates.set(duplicates);
      logger.info({ generation: plan.generation, mode: plan.mode, run: steps.runId, events, duplicates, watermark: snapshot.watermark, timings }, 'batch: generation published');
      await this.cleanUp(steps, scratch, engine, lease, true);
      engine = undefined;
      lease = undefined;
      await steps.finish('published');
      return manifest;
    } catch (error) {
      if (error instanceof LogMismatchError) {
        this.metrics.runs.inc({ outcome: 'log_mismatch' });
        logger.error({ err: error }, 'batch: the log does not match the lake; generation NOT published');
        await this.alert({ alert: 'lamina_log_mismatch', message: error.message });
      } else if (error instanceof LeaseHeldError) {
        this.metrics.runs.inc({ outcome: 'lease_held' });
        logger.warn({ holder: error.holder }, `batch: ${error.message}`);
      } else if (!(error instanceof QualityGateError)) {
        this.metrics.runs.inc({ outcome: 'error' });
        await this.alert({ alert: 'lamina_batch_failed', message: error instanceof Error ? error.message : String(error) });
      }
      await this.cleanUp(steps, scratch, engine, lease).catch((cleanUpError: unknown) => logger.warn({ err: cleanUpError }, 'batch: clean-up after a failed run failed'));
      await steps.finish(error instanceof QualityGateError ? 'gates_failed' : error instanceof LeaseHeldError ? 'skipped' : 'failed', error);
      throw error;
    }
  }

  /**
   * The views rebuilt from the log: [0, W) archived again into a scratch lake, computed there in full
   * by a batch job of the same config, the view tables copied into the lake, a generation published
   * with watermark W (the lake's frontier), recorded in the history like any run.
   */
  private async replayFromLog(options: BatchRunOptions): Promise<GenerationManifest> {
    const { config, store, logger, log } = this.options;
    if (!log) throw new ConfigError('a replay from the log needs the log (distributed or embedded mode with a log configured)');
    const steps = this.newSteps(options.trigger ?? 'batch run --from-log');
    const scratch = join(this.options.scratchDir, `replay-${randomUUID()}`);
    await mkdir(scratch, { recursive: true });
    let lease: RunLease | undefined;
    await steps.start();
    try {
      const { lake, epochRecord, epoch, previous } = await this.startingPoint();
      const snapshot = await steps.step('snapshot', async () => {
        const taken = await takeSnapshot(lake, config, previous, epoch);
        await checkReplayable(log, config.topic, taken.watermark, taken.sealed.length);
        return taken;
      });
      const generation = (previous?.generation ?? 0) + 1;
      steps.planned(generation, 'full');
      lease = await RunLease.acquire(store, generation, { runId: steps.runId, holder: RunSteps.holder() }, config.batch.leaseSeconds * 1000);
      logger.info({ generation, watermark: snapshot.watermark, run: steps.runId }, 'batch: replaying the log into a scratch lake');
      const scratchStore = await steps.step('replay', ({ progress }) =>
        archiveIntoScratchLake({ config, log, logger, scratchDir: scratch, watermark: snapshot.watermark, runId: steps.runId, onProgress: (done, total) => progress(done, total, 'log records') }),
      );
      const replayed = await steps.step('compute', () =>
        new BatchJob({ config, store: scratchStore, log: new BoundedEventLog(log, snapshot.watermark), logger: logger.child({ replay: true }), registry: createRegistry(), scratchDir: join(scratch, 'batch') }).run({ full: true, trigger: 'replay' }),
      );
      steps.facts({}, replayed.events);
      steps.gates(replayed.quality);
      const views = await steps.step('write', async ({ progress }) => {
        lease!.check();
        return copyViewTables(scratchStore, store, replayed.views, generation, (done, total) => progress(done, total, 'files'));
      });
      const manifest = replayedManifest(replayed, { generation, epoch: snapshot.epoch, log: epochRecord?.log ?? null, watermark: snapshot.watermark, views });
      if (this.guard) await this.guard.verify(snapshot.epoch);
      lease.check();
      await steps.step('publish', () => this.generations.publish(manifest));
      this.metrics.runs.inc({ outcome: 'published' });
      this.metrics.generation.set(generation);
      this.metrics.events.set(manifest.events);
      logger.info({ generation, events: manifest.events, duplicates: manifest.duplicates, watermark: manifest.watermark, source: 'log' }, 'batch: generation published from the log');
      await this.cleanUp(steps, scratch, undefined, lease, true);
      await steps.finish('published');
      return manifest;
    } catch (error) {
      this.metrics.runs.inc({ outcome: error instanceof LeaseHeldError ? 'lease_held' : 'error' });
      await this.cleanUp(steps, scratch, undefined, lease).catch((cleanUpError: unknown) => logger.warn({ err: cleanUpError }, 'batch: clean-up after a failed replay failed'));
      await steps.finish(error instanceof LeaseHeldError ? 'skipped' : error instanceof QualityGateError ? 'gates_failed' : 'failed', error);
      throw error;
    }
  }

  /** The last step: the engine closed, the scratch folder emptied, the lease released; after a publication, retention. */
  private async cleanUp(steps: RunSteps, scratch: string, engine: BatchEngine | undefined, lease: RunLease | undefined, published = false): Promise<void> {
    const { config, store, logger } = this.options;
    await steps.step('clean up', async () => {
      await engine?.close();
      await rm(scratch, { recursive: true, force: true });
      await lease?.release();
      if (published && config.retention.days !== undefined) {
        await vacuumLake(store, config, { olderThanMs: config.retention.days * 86_400_000, keepGenerations: config.retention.keepGenerations, dryRun: false }, logger).catch((error: unknown) =>
          logger.warn({ err: error }, 'batch: retention (vacuum) failed; the next run tries again'),
        );
      }
    });
  }
}
