/**
 * Embedded mode: every layer in one process, the embedded log and a local-folder lake under the
 * data dir. What `npm start` runs, and what the end-to-end tests drive.
 */
import { Archiver, BatchJob, BatchScheduler } from '@lamina/batch-layer';
import { SpeedLayer } from '@lamina/speed-layer';
import { ServingLayer } from '@lamina/serving-layer';
import { GenerationStore, type EventLog, type ObjectStore } from '@lamina/shared';
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
  const batch = new BatchJob({ config, store, logger: logger.child({ layer: 'batch' }), registry, onQualityFailure: alertHook(config, logger) });
  const speed = new SpeedLayer({ config, log, generations: new GenerationStore(store), logger: logger.child({ layer: 'speed' }), registry, instance: 'embedded' });
  await speed.start();
  const scheduler = new BatchScheduler(batch, config.batch.schedule, logger.child({ layer: 'scheduler' }));
  if (options.schedule !== false) scheduler.start();

  const readiness = await startReadiness(runtime, { log, store });
  const serving = new ServingLayer({
    config, log, store, realtime: [speed], logger: logger.child({ layer: 'serving' }), registry, readiness, ingestTimeoutMs: runtime.options.ingestTimeoutMs,
    runBatch: async () => {
      const started = Date.now();
      // Archive what is buffered first, so "run a batch now" covers everything ingested so far.
      await archiver.catchUp();
      const manifest = await batch.run();
      await speed.addGeneration(manifest);
      return { manifest, durationMs: Date.now() - started };
    },
  });
  const port = await serving.start(options.port ?? runtime.options.port);
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
