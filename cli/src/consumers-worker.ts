/**
 * The consumers thread of embedded mode (see consumers-thread.ts): the archiver and the speed layer,
 * reading the log the main thread writes through a PortEventLog, answering the main thread's calls.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Archiver } from '@lamina/batch-layer';
import { SpeedLayer } from '@lamina/speed-layer';
import { PortEventLog, PortPeer, ValidationError, compileViews, createLogger, createRegistry, encodeRows, type GenerationManifest, type LaminaConfig, type RealtimeRequest } from '@lamina/shared';
import { openObjectStore } from './layers.js';
import type { RuntimeOptions } from './runtime-options.js';

export interface ConsumersWorkerData {
  config: LaminaConfig;
  options: RuntimeOptions;
  /** The main thread's end of this port serves the embedded log (serveEventLog). */
  logPort: MessagePort;
}

const { config, options, logPort } = workerData as ConsumersWorkerData;
const control = new PortPeer(parentPort!, 'the main thread');
const logger = createLogger({ level: options.logLevel, to: 'stdout' });
// No default metrics here: the process's own (memory, CPU, event loop) are the main thread's to report.
const registry = createRegistry();
const log = new PortEventLog(logPort, 'the main thread (which holds the embedded log)');
const store = await openObjectStore({ config, options, logger, registry });
// A layer that stops for good (the log was replaced) logs it as fatal itself; the process goes on, its
// serving layer refusing ingest for the same reason, as embedded mode always did.
const archiver = new Archiver({ config, log, store, logger: logger.child({ layer: 'archiver' }), registry });
const speed = new SpeedLayer({ config, log, store, logger: logger.child({ layer: 'speed' }), registry, instance: 'embedded' });
const views = new Map(compileViews(config).map((v) => [v.name, v]));

control.handle('start', async () => {
  await archiver.start();
  await speed.start();
});
control.handle('archiver.catchUp', () => archiver.catchUp());
control.handle('speed.addGeneration', (manifest: GenerationManifest) => speed.addGeneration(manifest));
control.handle('speed.status', () => speed.status());
control.handle('speed.query', async (request: RealtimeRequest) => {
  const view = views.get(request.view);
  if (!view) throw new ValidationError(`unknown view '${request.view}'`);
  const part = await speed.query(request);
  return { ...part, rows: encodeRows(view, part.rows) };
});
// Without the families the main thread reports itself (the log guard's): a scrape holds each name once.
control.handle('metrics', async (leaveOut: string[]) => {
  const skip = new Set(leaveOut);
  const parts: string[] = [];
  for (const metric of registry.getMetricsAsArray()) if (!skip.has(metric.name)) parts.push(await registry.getSingleMetricAsString(metric.name));
  return parts.length === 0 ? '' : `${parts.join('\n')}\n`;
});
control.handle('stop', async () => {
  await speed.stop();
  await archiver.stop();
  await log.close();
});
control.notify('loaded');
