/**
 * `lamina log new-epoch`: the recovery from a log that is not the log the lake describes (its data
 * wiped, the topic recreated, another cluster). It seals the lake's current epoch at its archived
 * frontier, records the log as it is now as the next epoch, and runs a full batch, whose generation
 * covers everything archived of every epoch. Then the archiver and the speed layer can start again:
 * they archive and fold the new log from its start, its offsets apart from the old ones by the epoch.
 */

import { ConfigError, ConflictError, DeltaTable, LogEpochs, LogGuard, LogMismatchError, archivedFrontier, lakeLayout, openLake, type EpochRecord } from '@lamina/shared';
import { batchJob } from './batch-commands.js';
import { openEventLog, openObjectStore, type Runtime } from './layers.js';

export type EpochStart = 'earliest' | 'frontier';

export async function runNewEpoch(runtime: Runtime, options: { from?: EpochStart }): Promise<void> {
  const { config, logger, registry } = runtime;
  const log = await openEventLog(runtime);
  try {
    const store = await openObjectStore(runtime);
    await openLake(store, config);
    const guard = new LogGuard({ log, store, topic: config.topic, partitions: config.partitions, logger, registry });
    let problem: string;
    try {
      const record = await guard.verify();
      throw new ConfigError(`the log is the log the lake describes (epoch ${record.epoch}): there is nothing to recover`);
    } catch (error) {
      if (!(error instanceof LogMismatchError)) throw error;
      problem = error.message;
    }
    const epochs = new LogEpochs(store);
    const current = (await epochs.current())!;
    const frontier = await archivedFrontier(DeltaTable.open(store, lakeLayout.frontierTable), current, config.partitions);
    const ends = await log.endOffsets(config.topic);
    const reset = frontier.every((f, p) => f === 0 || (ends[p] ?? 0) < f);
    const from = options.from ?? (reset ? 'earliest' : undefined);
    if (from === undefined) {
      throw new ConfigError(
        `the log has a new identity but its offsets reach the archived frontier (ends [${ends.join(', ')}], archived [${frontier.join(', ')}]): ` +
          'say whether it is a new log (--from earliest: archive it from offset 0) or the same log under a new identity, e.g. a restored cluster (--from frontier: go on at the archived frontier)',
      );
    }
    const next: EpochRecord = {
      epoch: current.epoch + 1,
      log: { clusterId: await log.clusterId(), topic: config.topic },
      startedAt: new Date().toISOString(),
      startOffsets: from === 'frontier' ? frontier.map((f, p) => Math.min(f, ends[p] ?? 0)) : frontier.map(() => 0),
      sealed: [...current.sealed, { epoch: current.epoch, frontier }],
      reason: problem,
    };
    if (!(await epochs.begin(next))) throw new ConflictError(`epoch ${next.epoch} was started by another run meanwhile; check \`lamina batch run\` and start the layers`);
    logger.warn({ epoch: next.epoch, sealed: { epoch: current.epoch, frontier }, startOffsets: next.startOffsets }, `log epoch ${next.epoch} started; epoch ${current.epoch} sealed at its archived frontier`);
    // A generation of the new epoch covers all that was archived of the old one; the speed layer starts from it.
    const manifest = await batchJob(runtime, store, log).run({ full: true, trigger: 'log new-epoch' });
    console.log(JSON.stringify({ epoch: next.epoch, sealed: next.sealed, startOffsets: next.startOffsets, generation: manifest.generation, events: manifest.events }));
  } finally {
    await log.close();
  }
}

