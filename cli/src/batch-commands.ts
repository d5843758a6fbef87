/** The batch layer's processes in distributed mode: archiver, one-shot batch, scheduled batch. */
import { Archiver, BatchJob, BatchScheduler, viewsWithoutBatchPart } from '@lamina/batch-layer';
import { openEventLog, openObjectStore, type Runtime } from './layers.js';
import { alertHook } from './alert-hook.js';

export async function runArchiver(runtime: Runtime): Promise<() => Promise<void>> {
  const { config, logger, registry } = runtime;
  const log = await openEventLog(runtime);
  const archiver = new Archiver({ config, log, store: await openObjectStore(runtime), logger: logger.child({ layer: 'archiver' }), registry });
  await archiver.start();
  return async () => {
    await archiver.stop();
    await log.close();
  };
}

async function batchJob(runtime: Runtime): Promise<BatchJob> {
  const { config, logger, registry } = runtime;
  return new BatchJob({ config, store: await openObjectStore(runtime), logger: logger.child({ layer: 'batch' }), registry, scratchDir: runtime.options.scratchDir, onQualityFailure: alertHook(config, logger) });
}

export async function runBatchOnce(runtime: Runtime, options: { full: boolean }): Promise<void> {
  const manifest = await (await batchJob(runtime)).run(options);
  console.log(JSON.stringify({ generation: manifest.generation, mode: manifest.mode, events: manifest.events, watermark: manifest.watermark, timingsMs: manifest.timingsMs }));
}

export async function runBatchSchedule(runtime: Runtime): Promise<() => Promise<void>> {
  const { config, logger } = runtime;
  const store = await openObjectStore(runtime);
  const scheduler = new BatchScheduler(await batchJob(runtime), config.batch.schedule, logger.child({ layer: 'scheduler' }), () => viewsWithoutBatchPart(config, store));
  scheduler.start();
  return async () => scheduler.stop();
}
