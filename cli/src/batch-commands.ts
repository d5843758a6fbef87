/** The batch layer's processes in distributed mode: archiver, one-shot batch, scheduled batch. */
import { Archiver, BatchJob, BatchScheduler } from '@lamina/batch-layer';
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
  return new BatchJob({ config, store: await openObjectStore(runtime), logger: logger.child({ layer: 'batch' }), registry, onQualityFailure: alertHook(config, logger) });
}

export async function runBatchOnce(runtime: Runtime): Promise<void> {
  const manifest = await (await batchJob(runtime)).run();
  console.log(JSON.stringify({ generation: manifest.generation, events: manifest.events, watermark: manifest.watermark }));
}

export async function runBatchSchedule(runtime: Runtime): Promise<() => Promise<void>> {
  const { config, logger } = runtime;
  const scheduler = new BatchScheduler(await batchJob(runtime), config.batch.schedule, logger.child({ layer: 'scheduler' }));
  scheduler.start();
  return async () => scheduler.stop();
}
