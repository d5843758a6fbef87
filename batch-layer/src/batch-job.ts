/**
 * The batch layer's job: one lake snapshot -> every view at its finest granularity -> view tables
 * -> quality gates -> a published generation. Recomputes from the master dataset every time, so a
 * changed view definition or a fixed bug is corrected by the next run (the Lambda promise).
 */
import {
  DeltaTable,
  GenerationStore,
  LaminaError,
  ViewAggregate,
  compileViews,
  counter,
  fileRowCount,
  gauge,
  lakeLayout,
  quarantineSchema,
  rawEventsFromArrow,
  rawEventsSchema,
  txnAppId,
  writeViewRows,
  type GenerationManifest,
  type LaminaConfig,
  type Logger,
  type ObjectStore,
  type Registry,
  type ViewTableRef,
} from '@lamina/shared';
import { runQualityGates } from './quality-gates.js';
import { compactTable } from './compactor.js';

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
  /** Called when a generation fails its gates (after logging and counting). */
  onQualityFailure?: (manifest: GenerationManifest) => Promise<void>;
}

export class BatchJob {
  private readonly generations: GenerationStore;
  private readonly metrics;
  private running: Promise<GenerationManifest> | undefined;
  // Kept across runs: a handle replays only the commits added since its last snapshot.
  private readonly events: DeltaTable;
  private readonly quarantine: DeltaTable;

  constructor(private readonly options: BatchJobOptions) {
    this.generations = new GenerationStore(options.store);
    this.events = DeltaTable.open(options.store, lakeLayout.eventsTable);
    this.quarantine = DeltaTable.open(options.store, lakeLayout.quarantineTable);
    const r = options.registry;
    this.metrics = {
      runs: counter(r, 'lamina_batch_runs_total', 'Batch runs by outcome', ['outcome']),
      generation: gauge(r, 'lamina_batch_published_generation', 'Newest generation this process published'),
      events: gauge(r, 'lamina_batch_events', 'Events covered by the newest published generation'),
    };
  }

  /** Runs now; a call while a run is going on joins that run instead of starting another. */
  run(): Promise<GenerationManifest> {
    this.running ??= this.runOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async runOnce(): Promise<GenerationManifest> {
    const { config, store, logger } = this.options;
    const started = Date.now();
    const timings: Record<string, number> = {};
    const mark = (name: string, since: number) => (timings[name] = Date.now() - since);
    try {
      const previous = await this.generations.latest();
      const generation = (previous?.generation ?? 0) + 1;

      let t = Date.now();
      const { events, quarantine } = this;
      await events.createIfMissing(rawEventsSchema);
      // Fewer, larger files first: the rows stay the same, the read below gets cheaper.
      await compactTable(events, { logger }).catch((error) => logger.warn({ err: error }, 'batch: compaction failed; reading the small files as they are'));
      mark('compact', t);
      t = Date.now();
      const snapshot = await events.snapshot();
      await quarantine.createIfMissing(quarantineSchema);
      const quarantineSnapshot = await quarantine.snapshot();
      const partitions = Math.max(config.partitions, previous?.watermark.length ?? 0);
      const watermark = Array.from({ length: partitions }, (_, p) => {
        const last = snapshot.txns.get(txnAppId(config.topic, p));
        return last === undefined ? 0 : last + 1;
      });
      mark('snapshot', t);

      t = Date.now();
      const views = compileViews(config);
      const aggregates = views.map((v) => new ViewAggregate(v));
      let eventsRead = 0;
      let watermarkTime: number | null = null;
      for (const file of snapshot.files) {
        const table = await events.readDataFile(file, { snapshot });
        for (const row of rawEventsFromArrow(table)) {
          eventsRead++;
          if (watermarkTime === null || row.logTime > watermarkTime) watermarkTime = row.logTime;
          for (const aggregate of aggregates) aggregate.add(row.event);
        }
      }
      mark('aggregate', t);

      const quarantined = rowCountFromStats(quarantineSnapshot.files) ?? 0;
      const quality = runQualityGates(config, {
        eventsRead,
        eventsInStats: rowCountFromStats(snapshot.files),
        quarantined,
        watermark,
        previousWatermark: previous?.watermark,
      });

      t = Date.now();
      const viewRefs: Record<string, ViewTableRef> = {};
      const failed = quality.filter((q) => !q.passed);
      if (failed.length === 0) {
        for (const aggregate of aggregates) {
          viewRefs[aggregate.view.name] = await writeViewRows(store, lakeLayout.viewTable(aggregate.view.name), aggregate.view, [...aggregate.rows()], generation);
        }
      }
      mark('writeViews', t);
      timings.total = Date.now() - started;

      const manifest: GenerationManifest = {
        generation, topic: config.topic, createdAt: new Date().toISOString(), lakeVersion: snapshot.version, watermark, watermarkTime,
        events: eventsRead, quarantined, views: viewRefs, quality, timingsMs: timings,
      };
      if (failed.length > 0) {
        logger.error({ generation, failed }, 'batch: quality gates failed; generation NOT published, serving keeps the previous one');
        this.metrics.runs.inc({ outcome: 'quality_failed' });
        await this.options.onQualityFailure?.(manifest).catch((error) => logger.error({ err: error }, 'batch: alert hook failed'));
        throw new QualityGateError(`generation ${generation} failed quality gates: ${failed.map((f) => `${f.gate}: ${f.detail}`).join('; ')}`, manifest);
      }
      await this.generations.publish(manifest);
      this.metrics.runs.inc({ outcome: 'published' });
      this.metrics.generation.set(generation);
      this.metrics.events.set(eventsRead);
      logger.info({ generation, events: eventsRead, watermark, lakeVersion: snapshot.version, timings }, 'batch: generation published');
      return manifest;
    } catch (error) {
      if (!(error instanceof QualityGateError)) this.metrics.runs.inc({ outcome: 'error' });
      throw error;
    }
  }
}

/** Total rows of the files per their Delta stats; null if any file has none. */
function rowCountFromStats(files: readonly { stats?: string | null }[]): number | null {
  let total = 0;
  for (const file of files) {
    const rows = fileRowCount(file);
    if (rows === undefined) return null;
    total += rows;
  }
  return total;
}
