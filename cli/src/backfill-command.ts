/**
 * `lamina backfill <files...>`: imports events from JSON lines and Parquet files into the log
 * (serving-layer/src/backfill). Prints one JSON summary line; rejected events are logged with their
 * file and line. Exit 0 when every event was accepted, 65 (data error) when some were rejected (the
 * accepted ones are in: importing the file again after fixing it counts them once).
 */
import { LogGuard } from '@lamina/shared';
import { IngestService, backfill } from '@lamina/serving-layer';
import { openEventLog, openObjectStore, type Runtime } from './layers.js';
import { EXIT } from './process-lifetime.js';

export async function runBackfill(runtime: Runtime, files: string[], options: { type?: string }): Promise<void> {
  const { config, logger, registry } = runtime;
  const log = await openEventLog(runtime);
  try {
    const store = await openObjectStore(runtime);
    // Events for a log the lake does not describe would never be counted: refuse, as ingest does.
    const record = await new LogGuard({ log, store, topic: config.topic, partitions: config.partitions, logger, registry }).verify();
    await log.ensureTopic(config.topic, config.partitions);
    const ingest = new IngestService(config, log, registry, runtime.options.ingestTimeoutMs, { problem: () => undefined, epoch: () => record.epoch });
    const report = await backfill(files, ingest, config, logger.child({ command: 'backfill' }), options.type ? { defaultType: options.type } : {});
    console.log(JSON.stringify({ files: report.files, accepted: report.accepted, rejected: report.rejected, deduplicated: report.deduplicated }));
    if (report.rejected > 0) process.exitCode = EXIT.dataError;
  } finally {
    await log.close();
  }
}
