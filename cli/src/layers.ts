/**
 * The composition root: builds adapters from runtime options and wires layers together. Layers
 * never import each other; only this file (and the embedded entry point) knows them all.
 */
import { join } from 'node:path';
import {
  ConfigError,
  EmbeddedEventLog,
  KafkaEventLog,
  LocalObjectStore,
  LogGuard,
  Readiness,
  S3ObjectStore,
  createLogger,
  lakeLayout,
  type DependencyCheck,
  createRegistry,
  type EventLog,
  type LaminaConfig,
  type Logger,
  type ObjectStore,
  type Registry,
} from '@lamina/shared';
import type { RuntimeOptions } from './runtime-options.js';

export interface Runtime {
  config: LaminaConfig;
  options: RuntimeOptions;
  logger: Logger;
  registry: Registry;
}

/** `logTo`: stdout for long-running services; stderr for one-shot commands, whose stdout is their answer (a manifest, the history's JSON lines). */
export function createRuntime(config: LaminaConfig, options: RuntimeOptions, logTo: 'stdout' | 'stderr'): Runtime {
  return { config, options, logger: createLogger({ level: options.logLevel, to: logTo }), registry: createRegistry({ defaultMetrics: true }) };
}

export async function openEventLog(runtime: Runtime): Promise<EventLog> {
  const { options, config } = runtime;
  if (options.kafka) {
    const { brokers, clientId, sessionTimeoutMs, sasl, ssl } = options.kafka;
    const log = new KafkaEventLog({ brokers, clientId, logger: runtime.logger.child({ component: 'kafka' }), consumer: { sessionTimeoutMs, heartbeatIntervalMs: Math.floor(sessionTimeoutMs / 5) }, ...(sasl ? { sasl } : {}), ...(ssl !== undefined ? { ssl } : {}) });
    return checkPartitions(log, config);
  }
  const log = await EmbeddedEventLog.open({ dir: join(options.dataDir, 'log') });
  return checkPartitions(log, config);
}

export async function checkPartitions(log: EventLog, config: LaminaConfig): Promise<EventLog> {
  const actual = await log.ensureTopic(config.topic, config.partitions);
  if (actual !== config.partitions) {
    throw new ConfigError(
      `topic '${config.topic}' has ${actual} partitions but the config declares partitions: ${config.partitions}; set partitions to ${actual} (partitions cannot shrink, and growing them moves keys)`,
    );
  }
  return log;
}

export async function openObjectStore(runtime: Runtime): Promise<ObjectStore> {
  const { options } = runtime;
  if (options.s3) {
    return new S3ObjectStore({ ...options.s3, logger: runtime.logger.child({ component: 's3' }) });
  }
  return new LocalObjectStore({ root: join(options.dataDir, 'lake') });
}

/**
 * GET /readyz of this process: probes the log (a metadata round trip) and the store (a HEAD of the
 * newest-generation hint, which every layer reads anyway), whichever of them the process uses, and —
 * when it uses both — that the log is the log the lake describes (the log guard).
 */
export async function startReadiness(runtime: Runtime, uses: { log?: EventLog; store?: ObjectStore }): Promise<Readiness> {
  const checks: DependencyCheck[] = [];
  const { log, store } = uses;
  const { config, logger, registry } = runtime;
  if (log) checks.push({ name: 'log', check: () => log.partitionCount(config.topic) });
  if (store) checks.push({ name: 'store', check: () => store.head(lakeLayout.currentPointer) });
  if (log && store) {
    const guard = new LogGuard({ log, store, topic: config.topic, partitions: config.partitions, logger: logger.child({ component: 'log-guard' }), registry });
    checks.push({ name: 'log-identity', check: () => guard.verify() });
  }
  const readiness = new Readiness({ checks, logger: runtime.logger.child({ component: 'readiness' }), registry: runtime.registry });
  await readiness.start();
  return readiness;
}
