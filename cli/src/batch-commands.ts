/** The batch layer's processes in distributed mode: archiver, one-shot batch, scheduled batch. */
import { Archiver, BatchJob, BatchScheduler, vacuumLake, viewsWithoutBatchPart } from '@lamina/batch-layer';
import { ConfigError, RunHistory, startHealthServer, type EventLog, type ObjectStore, type RunRecord } from '@lamina/shared';
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

export async function runBatchOnce(runtime: Runtime, options: { full: boolean; fromLog: boolean; waive: string[] }): Promise<void> {
  const log = await openEventLog(runtime);
  try {
    const manifest = await batchJob(runtime, await openObjectStore(runtime), log).run({ ...options, trigger: 'batch run' });
    console.log(JSON.stringify({ generation: manifest.generation, mode: manifest.mode, source: manifest.source ?? 'lake', events: manifest.events, duplicates: manifest.duplicates ?? 0, epoch: manifest.epoch, watermark: manifest.watermark, timingsMs: manifest.timingsMs }));
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

/** `lamina batch history`: the newest runs, newest first — a table, or JSON lines with --json. */
export async function runBatchHistory(runtime: Runtime, options: { limit: number; json: boolean }): Promise<void> {
  const runs = await new RunHistory(await openObjectStore(runtime)).recent(options.limit);
  if (options.json) {
    for (const run of runs) console.log(JSON.stringify(run));
    return;
  }
  if (runs.length === 0) {
    console.log('no batch run yet');
    return;
  }
  for (const run of runs) console.log(describeRun(run));
}

function describeRun(run: RunRecord): string {
  const seconds = (ms: number | null) => (ms === null ? '…' : `${(ms / 1000).toFixed(1)}s`);
  const took = run.finishedAt ? seconds(Date.parse(run.finishedAt) - Date.parse(run.startedAt)) : 'running';
  const steps = run.steps.map((s) => `${s.name} ${s.status === 'running' ? `running${s.progress ? ` ${s.progress.done}/${s.progress.total} ${s.progress.unit}` : ''}` : seconds(s.ms)}${s.status === 'failed' ? ' FAILED' : ''}${s.attempts > 1 ? ` (${s.attempts} attempts)` : ''}`);
  const failedGates = run.gates.filter((g) => !g.passed);
  const lines = [
    `${run.startedAt}  ${run.status.toUpperCase().padEnd(12)} generation ${run.generation ?? '-'} (${run.mode ?? '-'}, ${run.trigger})  ${took}  read ${run.rowsRead} rows, wrote ${run.rowsWritten}  run ${run.id}`,
    `  steps: ${steps.join(' → ') || '-'}`,
    `  gates: ${run.gates.length === 0 ? '-' : `${run.gates.length - failedGates.length}/${run.gates.length} passed`}${failedGates.map((g) => `\n    ${g.waived ? 'WAIVED' : g.severity === 'warn' ? 'WARN ' : 'FAIL '} ${g.gate}: ${g.detail}`).join('')}`,
  ];
  if (run.error) lines.push(`  error: ${run.error.code}: ${run.error.message}`);
  return lines.join('\n');
}

/** `lamina lake vacuum`: retention on demand; prints what it removed (or would) as JSON. */
export async function runVacuum(runtime: Runtime, opts: { olderThanDays?: string; keepGenerations?: string; dryRun?: boolean }): Promise<void> {
  const { config, logger } = runtime;
  const days = opts.olderThanDays !== undefined ? Number(opts.olderThanDays) : (config.retention.days ?? 7);
  const keep = opts.keepGenerations !== undefined ? Number(opts.keepGenerations) : config.retention.keepGenerations;
  if (!(days > 0)) throw new ConfigError(`--older-than-days must be a positive number of days, got '${opts.olderThanDays}'`);
  if (!Number.isInteger(keep) || keep < 1) throw new ConfigError(`--keep-generations must be a positive integer, got '${opts.keepGenerations}'`);
  const report = await vacuumLake(await openObjectStore(runtime), config, { olderThanMs: days * 86_400_000, keepGenerations: keep, dryRun: opts.dryRun === true }, logger.child({ layer: 'vacuum' }));
  console.log(JSON.stringify(report));
}
