#!/usr/bin/env node
/**
 * `lamina` — starts any layer, or all of them in one process (`lamina dev`, what `npm start` runs).
 */
import { Command } from 'commander';
import { LaminaError } from '@lamina/shared';
import { readRuntimeOptions } from './runtime-options.js';
import { loadConfig } from './load-config.js';
import { createRuntime } from './layers.js';
import { startEmbedded } from './embedded.js';
import { runArchiver, runBatchOnce, runBatchSchedule } from './batch-commands.js';
import { runServe, runSpeed } from './layer-commands.js';

async function runtime() {
  const options = readRuntimeOptions();
  const { config, origin } = await loadConfig(options.configPath, options.topic);
  const rt = createRuntime(config, options);
  rt.logger.info({ config: origin, topic: config.topic, partitions: config.partitions }, 'config loaded');
  return rt;
}

/** Runs until SIGINT/SIGTERM, then stops cleanly (a second signal exits at once). */
function untilSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    stop().then(
      () => process.exit(0),
      (error) => {
        console.error(`lamina: error while stopping after ${signal}:`, error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}

const program = new Command('lamina').description('Lamina: exact Lambda-architecture analytics (log, lake, generations)');

program
  .command('dev')
  .description('embedded mode: every layer in one process, data under LAMINA_DATA_DIR (default ./data), GraphQL on PORT (default 4000)')
  .option('--no-schedule', 'do not run the nightly batch schedule')
  .action(async (opts: { schedule: boolean }) => {
    const rt = await runtime();
    const lamina = await startEmbedded(rt, { schedule: opts.schedule });
    rt.logger.info(`Lamina is running: GraphQL http://localhost:${lamina.port}/graphql, ingest POST http://localhost:${lamina.port}/v1/events`);
    untilSignal(() => lamina.stop());
  });

program.command('archive').description('run the archiver (log -> lake) until stopped; /healthz, /readyz, /metrics on PORT').action(async () => untilSignal(await runArchiver(await runtime())));

const batch = program.command('batch').description('the batch layer');
batch.command('run').description('run one batch now (the nightly recomputation) and exit').action(async () => runBatchOnce(await runtime()));
batch.command('schedule').description('run the batch on the config\'s cron schedule until stopped; /healthz, /readyz, /metrics on PORT').action(async () => untilSignal(await runBatchSchedule(await runtime())));

program.command('speed').description('run a speed layer instance (joins the speed consumer group; internal API on PORT)').action(async () => untilSignal(await runSpeed(await runtime())));
program.command('serve').description('run a serving layer instance (GraphQL + ingest on PORT; merges with LAMINA_SPEED_URLS)').action(async () => untilSignal(await runServe(await runtime())));

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof LaminaError) {
    console.error(`lamina: ${error.message}`);
    process.exit(error.retriable ? 75 : 78);
  }
  console.error(error);
  process.exit(1);
});
