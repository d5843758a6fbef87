/** The speed and serving layers as separate processes (distributed mode). */
import { SpeedHttpApi, SpeedLayer } from '@lamina/speed-layer';
import { HttpRealtimeSource, ServingLayer } from '@lamina/serving-layer';
import { ConfigError } from '@lamina/shared';
import { openEventLog, openObjectStore, startReadiness, type Runtime } from './layers.js';
import type { ProcessLifetime } from './process-lifetime.js';

export async function runSpeed(runtime: Runtime, lifetime: ProcessLifetime): Promise<() => Promise<void>> {
  const { config, logger, registry, options } = runtime;
  const log = await openEventLog(runtime);
  const store = await openObjectStore(runtime);
  const onFailed = (error: unknown) => lifetime.fail(error, 'the speed layer\'s log consumer stopped for good');
  const speed = new SpeedLayer({ config, log, store, logger: logger.child({ layer: 'speed', instance: options.instance }), registry, instance: options.instance, onFailed });
  await speed.start();
  const readiness = await startReadiness(runtime, { log, store });
  const api = new SpeedHttpApi(speed, registry, logger.child({ layer: 'speed-api' }), readiness);
  await api.start(options.port);
  return async () => {
    await api.stop();
    readiness.stop();
    await speed.stop();
    await log.close();
  };
}

export async function runServe(runtime: Runtime): Promise<() => Promise<void>> {
  const { config, logger, registry, options } = runtime;
  if (options.speedUrls.length === 0) {
    throw new ConfigError('lamina serve needs the speed instances to merge with: set LAMINA_SPEED_URLS (comma-separated, e.g. http://speed-1:4001,http://speed-2:4001)');
  }
  const log = await openEventLog(runtime);
  const store = await openObjectStore(runtime);
  const sources = options.speedUrls.map((url, i) => new HttpRealtimeSource(`speed-${i}`, url.replace(/\/$/, ''), config, logger.child({ layer: 'serving' })));
  const readiness = await startReadiness(runtime, { log, store });
  const serving = new ServingLayer({ config, log, store, realtime: sources, logger: logger.child({ layer: 'serving' }), registry, readiness, ingestTimeoutMs: options.ingestTimeoutMs, access: options.access, corsOrigins: options.corsOrigins });
  await serving.start(options.port);
  return async () => {
    await serving.stop();
    for (const source of sources) source.close();
    readiness.stop();
    await log.close();
  };
}
