/**
 * The consumers thread of embedded mode (see consumers-thread.ts): the archiver and the speed layer,
 * reading the log the main thread writes through a PortEventLog, answering the main thread's calls.
 * Everything that can fail happens in a call ('start'), so its error reaches the caller as the same
 * Lamina error, not as a thread's uncaught error.
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
// The archiver alone: the package's index would load the DuckDB engine, which this thread never runs.
import { Archiver } from '@lamina/batch-layer/archiver';
import { SpeedLayer } from '@lamina/speed-layer';
import { PortEventLog, PortPeer, UnavailableError, collectedGauge, createLogger, createRegistry, metricsTextWithout, type GenerationManifest, type LaminaConfig, type RealtimeRequest } from '@lamina/shared';
import { openObjectStore } from './layers.js';
import type { RuntimeOptions } from './runtime-options.js';
import { lowerThisThreadPriority } from './thread-priority.js';

export interface ConsumersWorkerData {
  config: LaminaConfig;
  options: RuntimeOptions;
  /** The main thread's end of this port serves the embedded log (serveEventLog). */
  logPort: MessagePort;
}

const { config, options, logPort } = workerData as ConsumersWorkerData;
const control = new PortPeer(parentPort!, 'the main thread');
const logger = createLogger({ level: options.logLevel, sync: true });
// The process's own metrics (RSS, CPU, the main thread's heap) are the main thread's to report.
const registry = createRegistry();
collectedGauge(registry, 'lamina_consumers_thread_heap_used_bytes', 'JS heap used by embedded mode\'s consumers thread (archiver, speed layer), which the process metrics do not count', [], (g) => g.set(getHeapStatistics().used_heap_size));
// Before any work: the folds yield a saturated CPU to ingest, whose answers wait on the main thread.
// Threads inherit the nice of the thread that creates them: libuv's pool, made at its first use, is
// the process's because the main thread has used it (opening the log) before this thread starts.
if (options.consumersNice > 0) {
  const priority = lowerThisThreadPriority(options.consumersNice);
  if (priority.applied) logger.debug({ nice: priority.nice, threadId: priority.threadId }, 'consumers thread runs at a lower priority than ingest');
  else logger.info({ consumersNice: options.consumersNice, reason: priority.reason }, 'consumers thread left at the process\'s priority');
}
const log = new PortEventLog(logPort, 'the main thread (which holds the embedded log)');
let layers: { archiver: Archiver; speed: SpeedLayer } | undefined;

function started(): { archiver: Archiver; speed: SpeedLayer } {
  if (!layers) throw new UnavailableError('the consumers thread has not started its archiver and speed layer yet');
  return layers;
}

control.handle('start', async () => {
  const store = await openObjectStore({ config, options, logger, registry });
  // A layer that stops for good (the log was replaced) logs it as fatal itself; the process goes on, its
  // serving layer refusing ingest for the same reason, as embedded mode always did.
  const archiver = new Archiver({ config, log, store, logger: logger.child({ layer: 'archiver' }), registry });
  const speed = new SpeedLayer({ config, log, store, logger: logger.child({ layer: 'speed' }), registry, instance: 'embedded' });
  layers = { archiver, speed };
  await archiver.start();
  await speed.start();
});
control.handle('archiver.catchUp', () => started().archiver.catchUp());
control.handle('speed.addGeneration', (manifest: GenerationManifest) => started().speed.addGeneration(manifest));
control.handle('speed.status', () => started().speed.status());
control.handle('speed.query', (request: RealtimeRequest) => started().speed.queryEncoded(request));
control.handle('metrics', (leaveOut: string[]) => metricsTextWithout(registry, leaveOut));
control.handle('stop', async () => {
  await layers?.speed.stop();
  await layers?.archiver.stop();
  await log.close();
  // Once this answer is out, nothing holds the thread: it ends by itself, its last lines written.
  setImmediate(() => {
    logPort.close();
    parentPort!.close();
  });
});
control.notify('loaded');
