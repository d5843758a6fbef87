/** The batch layer's processes in distributed mode: archiver, one-shot batch, scheduled batch. */
import { Archiver, BatchJob, BatchScheduler, viewsWithoutBatchPart } from '@lamina/batch-layer';
import { startHealthServer, type EventLog, type ObjectStore } from '@lamina/shared';
import { openEventLog, openObjectStore, startReadiness, type Runtime } from './layers.js';
import { alertHook } from './alert-hook.js';
import type { ProcessLifetime } from './process-lifetime.js';

/** The archiver, plus /healthz, /readyz and /metrics on PORT. */
export async function runArchiver(runtime: Runtime, lifetime: ProcessLifetime): Promise<() => Promise<void>> {
  const { config, logger, registry, options } = runtime;
  const log = await openEventLog(runtime);
  const store = await openObjectStore(runtime);
  const onFailed = (error: unknown) => lifetime.fail(error, 'the archiver\'s log consumer stopped for good');
  const archiver = new Archiver({ config, log, store, logger: logger.child({ layer: 'archiver' }), registry, onFailed });
  await archiver.start();
  const readiness = await startReadiness(runtime, { log, store });
  const health = await startHealthServer(options.port, { registry, readiness }, logger.child({ layer: 'archiver' }));
  return async () => {
    await health.stop();
    readiness.stop();
    await archiver.stop();
    await log.close();
  };
}

/** The batch job; with the log, so that it refuses to publish for a log the lake does not describe. */
export function batchJob(runtime: Runtime, store: ObjectStore, log: EventLog): BatchJob {
  const { config, logger, registry } = runtime;
  return new BatchJob({ config, store, log, logger: logger.child({ layer: 'batch' }), registry, scratchDir: runtime.options.scratchDir, onAlert: alertHook(config, logger) });
}

export async function runBatchOnce(runtime: Runtime, options: { full: boolean }): Promise<void> {
  const log = await openEventLog(runtime);
  try {
    const manifest = await batchJob(runtime, await openObjectStore(runtime), log).run(options);
    console.log(JSON.stringify({ generation: manifest.generation, mode: manifest.mode, events: manifest.events, duplicates: manifest.duplicates ?? 0, epoch: manifest.epoch, watermark: manifest.watermark, timingsMs: manifest.timingsMs }));
  } finally {
    await log.close();
  }
}

/** The scheduler, plus /healthz, /readyz (the store, the log) and /metrics on PORT. */
export async function runBatchSchedule(runtime: Runtime): Promise<() => Promise<void>> {
  const { config, logger, registry, options } = runtime;
  const store = await openObjectStore(runtime);
  const log = await openEventLog(runtime);
  const scheduler = new BatchScheduler(batchJob(runtime, store, log), config.batch.schedule, logger.child({ layer: 'scheduler' }), () => viewsWithoutBatchPart(config, store));
  scheduler.start();
  const readiness = await startReadiness(runtime, { store, log });
  const health = await startHealthServer(options.port, { registry, readiness }, logger.child({ layer: 'scheduler' }));
  return async () => {
    await health.stop();
    readiness.stop();
    scheduler.stop();
    await log.close();
  };
}
