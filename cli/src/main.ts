#!/usr/bin/env node
/**
 * `lamina` — starts any layer, or all of them in one process (`lamina dev`, what `npm start` runs).
 * Every way it ends is logged with its reason and exit code (process-lifetime.ts).
 */
import { Command } from 'commander';
import { ConfigError, LaminaError } from '@lamina/shared';
import { readRuntimeOptions } from './runtime-options.js';
import { loadConfig } from './load-config.js';
import { createRuntime, type Runtime } from './layers.js';
import { startEmbedded } from './embedded.js';
import { runArchiver, runBatchHistory, runBatchOnce, runBatchSchedule, runVacuum } from './batch-commands.js';
import { runServe, runSpeed } from './layer-commands.js';
import { runNewEpoch, type EpochStart } from './log-commands.js';
import { runBackfill } from './backfill-command.js';
import { ProcessLifetime, exitCodeOf, installCrashHandlers, installWarningLog } from './process-lifetime.js';

/** A command's runtime; a one-shot command logs to stderr, so its stdout holds only its answer. */
async function runtime(logTo: 'stdout' | 'stderr' = 'stderr') {
  const options = readRuntimeOptions();
  const { config, origin } = await loadConfig(options.configPath, options.topic);
  const rt = createRuntime(config, options, logTo);
  // From here on (the commands' work) no crash goes unlogged; before it, parseAsync's catch reports.
  installCrashHandlers(rt.logger);
  installWarningLog(rt.logger);
  rt.logger.info({ config: origin, topic: config.topic, partitions: config.partitions }, 'config loaded');
  return rt;
}

/** A long-running command: starts it with its lifetime (for fatal ends), then runs until stopped. */
async function longRunning(command: string, start: (rt: Runtime, lifetime: ProcessLifetime) => Promise<() => Promise<void>>): Promise<void> {
  const rt = await runtime('stdout');
  const lifetime = new ProcessLifetime(command, rt.logger, { watchParent: rt.options.launchedByNpm });
  lifetime.runUntilStopped(await start(rt, lifetime));
}

const program = new Command('lamina').description('Lamina: exact Lambda-architecture analytics (log, lake, generations)');

program
  .command('dev')
  .description('embedded mode: every layer in one process, data under LAMINA_DATA_DIR (default ./data), GraphQL on PORT (default 4000)')
  .option('--no-schedule', 'do not run the nightly batch schedule')
  .action((opts: { schedule: boolean }) =>
    longRunning('dev', async (rt, lifetime) => {
      const lamina = await startEmbedded(rt, { schedule: opts.schedule, onFailed: (error) => lifetime.fail(error, 'the consumers thread (archiver, speed layer) ended') });
      rt.logger.info(`Lamina is running: GraphQL http://localhost:${lamina.port}/graphql, ingest POST http://localhost:${lamina.port}/v1/events`);
      return () => lamina.stop();
    }),
  );

program.command('archive').description('run the archiver (log -> lake) until stopped; /healthz, /readyz, /metrics on PORT').action(() => longRunning('archive', runArchiver));

const batch = program.command('batch').description('the batch layer');
batch
  .command('run')
  .description('run one batch now (the nightly recomputation) and exit')
  .option('--full', 'recompute every view from the whole lake instead of only the dates new events touched')
  .option('--from-log', 'rebuild every view from the log instead of the lake (a Kappa replay; only while the log still holds every offset the lake covers)')
  .option('--waive <gates>', 'publish even if these quality gates fail (comma-separated names; after reviewing a failed run: the events it flagged stay in the lake)')
  .action(async (opts: { full?: boolean; fromLog?: boolean; waive?: string }) => runBatchOnce(await runtime(), { full: opts.full === true, fromLog: opts.fromLog === true, waive: opts.waive ? opts.waive.split(',').map((g) => g.trim()).filter(Boolean) : [] }));
batch
  .command('history')
  .description('the newest batch runs: status, generation, step durations and progress, rows read and written, quality gate results')
  .option('--limit <n>', 'how many runs', '10')
  .option('--json', 'one JSON record per line (the run history as stored)')
  .action(async (opts: { limit: string; json?: boolean }) => {
    const limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new ConfigError(`--limit must be a positive integer, got '${opts.limit}'`);
    await runBatchHistory(await runtime(), { limit, json: opts.json === true });
  });
batch.command('schedule').description('run the batch on the config\'s cron schedule until stopped; /healthz, /readyz, /metrics on PORT').action(() => longRunning('batch schedule', runBatchSchedule));

const logCommand = program.command('log').description('the log the lake describes');
logCommand
  .command('new-epoch')
  .description('after the log was reset or replaced (its data wiped, the topic recreated): seal the lake\'s log epoch, start a new one for the log as it is now, and publish a generation covering all that was archived')
  .option('--from <start>', 'where the new epoch\'s archiving starts when the log kept its offsets: earliest (a new log) or frontier (the same log under a new identity)')
  .action(async (opts: { from?: string }) => {
    if (opts.from !== undefined && opts.from !== 'earliest' && opts.from !== 'frontier') throw new ConfigError(`--from must be earliest or frontier, got '${opts.from}'`);
    await runNewEpoch(await runtime(), { ...(opts.from ? { from: opts.from as EpochStart } : {}) });
  });

const lakeCommand = program.command('lake').description('the lake in the object store');
lakeCommand
  .command('vacuum')
  .description('remove what no live generation reads and is older than the retention age: old generations, compacted and rewritten data files, view tables of old definitions, old run records')
  .option('--older-than-days <days>', 'the retention age (default: retention.days of the config, else 7)')
  .option('--keep-generations <n>', 'the newest generations kept whatever their age (default: retention.keepGenerations)')
  .option('--dry-run', 'report what would be removed, remove nothing')
  .action(async (opts: { olderThanDays?: string; keepGenerations?: string; dryRun?: boolean }) => runVacuum(await runtime(), opts));

program
  .command('backfill')
  .description('import events from JSON lines (.jsonl) and Parquet (.parquet) files into the log, validated as ingest validates them; importing a file again counts its events once (deduplication)')
  .argument('<files...>', 'the files, imported in this order')
  .option('--type <name>', 'the event type of Parquet rows without a type column (a raw table exported from the lake)')
  .action(async (files: string[], opts: { type?: string }) => runBackfill(await runtime(), files, opts));

program.command('speed').description('run a speed layer instance (joins the speed consumer group; internal API on PORT)').action(() => longRunning('speed', runSpeed));
program.command('serve').description('run a serving layer instance (GraphQL + ingest on PORT; merges with LAMINA_SPEED_URLS)').action(() => longRunning('serve', runServe));

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof LaminaError) {
    console.error(`lamina: ${error.message}`);
    process.exit(exitCodeOf(error));
  }
  console.error(error);
  process.exit(1);
});
