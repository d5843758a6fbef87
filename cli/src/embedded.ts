/**
 * Embedded mode: every layer in one process, the embedded log and a local-folder lake under the
 * data dir. What `npm start` runs, and what the end-to-end tests drive. The archiver and the speed
 * layer run on a thread of their own (consumers-thread.ts); ingest, the log, the batch layer and
 * serving on the main thread.
 */
import { BatchJob, BatchScheduler } from '@lamina/batch-layer';
import { ServingLayer } from '@lamina/serving-layer';
import type { EventLog, GenerationManifest, ObjectStore, RealtimeSource } from '@lamina/shared';
import { openEventLog, openObjectStore, startReadiness, type Runtime } from './layers.js';
import { alertHook } from './alert-hook.js';
import { ConsumersThread } from './consumers-thread.js';

export interface EmbeddedLamina {
  port: number;
  log: EventLog;
  store: ObjectStore;
  /** The archiver, on the consumers thread. */
  archiver: { catchUp(): Promise<void> };
  batch: BatchJob;
  /** The speed layer, on the consumers thread. */
  speed: RealtimeSource & { addGeneration(manifest: GenerationManifest): Promise<void> };
  serving: ServingLayer;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  schedule?: boolean;
  port?: number;
  /** The consumers thread (archiver, speed layer) ended unasked. Default: logged as fatal. */
  onFailed?: (error: unknown) => void;
}

export async function startEmbedded(runtime: Runtime, options: EmbeddedOptions = {}): Promise<EmbeddedLamina> {
  const { config, logger, registry } = runtime;
  const log = await openEventLog(runtime);
  const store = await openObjectStore(runtime);
  const onFailed = options.onFailed ?? ((error: unknown) => logger.fatal({ err: error }, 'the consumers thread ended: nothing more is archived or folded until a restart'));
  let consumers: ConsumersThread;
  try {
    consumers = await ConsumersThread.start({ runtime, log, onFailed });
  } catch (error) {
    await log.close();
    throw error;
  }
  const batch = new BatchJob({ config, store, log, logger: logger.child({ layer: 'batch' }), registry, scratchDir: runtime.options.scratchDir, onAlert: alertHook(config, logger) });
  const scheduler = new BatchScheduler(batch, config.batch.schedule, logger.child({ layer: 'scheduler' }));
  if (options.schedule !== false) scheduler.start();

  const readiness = await startReadiness(runtime, { log, store });
  const serving = new ServingLayer({
    config, log, store, realtime: [consumers], logger: logger.child({ layer: 'serving' }), registry, readiness, ingestTimeoutMs: runtime.options.ingestTimeoutMs, access: runtime.options.access, corsOrigins: runtime.options.corsOrigins,
    moreMetrics: () => consumers.metrics(registry.getMetricsAsArray().map((metric) => metric.name)),
    runBatch: async ({ full }) => {
      const started = Date.now();
      // Archive what is buffered first, so "run a batch now" covers everything ingested so far.
      await consumers.catchUp();
      const manifest = await batch.run({ full, trigger: 'runBatch (GraphQL)' });
      await consumers.addGeneration(manifest);
      return { manifest, durationMs: Date.now() - started };
    },
  });
  const port = await serving.start(options.port ?? runtime.options.port);
  // A view added or changed since the newest generation answers VIEW_INCOMPLETE: compute it at once.
  const incomplete = serving.generations.list()[0]!.incomplete;
  if (incomplete.size > 0) {
    logger.info({ views: [...incomplete] }, 'views changed since the newest generation: running a batch now to compute them');
    void serving.runBatchNow({ full: false }).catch((error) => logger.error({ err: error }, 'the batch run for changed views failed; the next scheduled run tries again'));
  }
  return {
    port, log, store, archiver: consumers, batch, speed: consumers, serving,
    async stop() {
      scheduler.stop();
      await serving.stop();
      readiness.stop();
      await consumers.stop();
      await log.close();
    },
  };
}
