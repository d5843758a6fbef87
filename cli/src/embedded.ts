/**
 * Embedded mode: every layer in one process, the embedded log and a local-folder lake under the
 * data dir. What `npm start` runs, and what the end-to-end tests drive.
 */
import { Archiver, BatchJob, BatchScheduler } from '@lamina/batch-layer';
import { SpeedLayer } from '@lamina/speed-layer';
import { ServingLayer } from '@lamina/serving-layer';
import type { EventLog, ObjectStore } from '@lamina/shared';
import { openEventLog, openObjectStore, startReadiness, type Runtime } from './layers.js';
import { alertHook } from './alert-hook.js';

export interface EmbeddedLamina {
  port: number;
  log: EventLog;
  store: ObjectStore;
  archiver: Archiver;
  batch: BatchJob;
  speed: SpeedLayer;
  serving: ServingLayer;
  stop(): Promise<void>;
}

export async function startEmbedded(runtime: Runtime, options: { schedule?: boolean; port?: number } = {}): Promise<EmbeddedLamina> {
  const { config, logger, registry } = runtime;
  const log = await openEventLog(runtime);
  const store = await openObjectStore(runtime);
  const archiver = new Archiver({ config, log, store, logger: logger.child({ layer: 'archiver' }), registry });
  await archiver.start();
  const batch = new BatchJob({ config, store, log, logger: logger.child({ layer: 'batch' }), registry, scratchDir: runtime.options.scratchDir, onAlert: alertHook(config, logger) });
  const speed = new SpeedLayer({ config, log, store, logger: logger.child({ layer: 'speed' }), registry, instance: 'embedded' });
  await speed.start();
  const scheduler = new BatchScheduler(batch, config.batch.schedule, logger.child({ layer: 'scheduler' }));
  if (options.schedule !== false) scheduler.start();

  const readiness = await startReadiness(runtime, { log, store });
  const serving = new ServingLayer({
    config, log, store, realtime: [speed], logger: logger.child({ layer: 'serving' }), registry, readiness, ingestTimeoutMs: runtime.options.ingestTimeoutMs, access: runtime.options.access, corsOrigins: runtime.options.corsOrigins,
    runBatch: async ({ full }) => {
      const started = Date.now();
      // Archive what is buffered first, so "run a batch now" covers everything ingested so far.
      await archiver.catchUp();
      const manifest = await batch.run({ full, trigger: 'runBatch (GraphQL)' });
      await speed.addGeneration(manifest);
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
    port, log, store, archiver, batch, speed, serving,
    async stop() {
      scheduler.stop();
      await serving.stop();
      readiness.stop();
      await speed.stop();
      await archiver.stop();
      await log.close();
    },
  };
}
