/**
 * Kappa replay (`lamina batch run --from-log`): the views rebuilt from the log instead of the lake.
 * The log's records below the lake's archived frontier W are archived again — by the same archiver,
 * through a log bounded at W — into a scratch lake on local disk; the same batch job computes every
 * view there in full; the view tables are copied into the lake under their own paths and a generation
 * is published whose watermark is W, like the lake path's: the speed layer and serving cannot tell
 * the two apart, and the answers are the same (test/kappa-replay.test.ts).
 *
 * Only where the log still holds everything: every partition from offset 0, and no sealed epoch (an
 * earlier log is gone). Otherwise the replay refuses before doing anything.
 */
import { join } from 'node:path';
import { LaminaError, LocalObjectStore, createRegistry, type EventLog, type GenerationManifest, type LaminaConfig, type Logger, type ObjectStore, type ViewTableRef } from '@lamina/shared';
import { Archiver } from '../archiver.js';
import { BoundedEventLog } from './bounded-log.js';

export class ReplayUnavailableError extends LaminaError {
  constructor(message: string) {
    super('REPLAY_UNAVAILABLE', `${message}; the log no longer holds what the lake does — rebuild from the lake (\`lamina batch run --full\`)`);
  }
}

/** Throws ReplayUnavailableError unless the log holds every offset below `watermark` of the current epoch. */
export async function checkReplayable(log: EventLog, topic: string, watermark: readonly number[], sealedEpochs: number): Promise<void> {
  if (sealedEpochs > 0) throw new ReplayUnavailableError(`the lake covers ${sealedEpochs} earlier log epoch(s) whose log was replaced`);
  const ends = await log.endOffsets(topic);
  for (const [partition, w] of watermark.entries()) {
    if (w === 0) continue;
    if ((ends[partition] ?? 0) < w) throw new ReplayUnavailableError(`partition ${partition} of ${topic} ends at ${ends[partition] ?? 0}, below the lake's frontier ${w}`);
    let first: number | undefined;
    try {
      for await (const chunk of log.readRange(topic, partition, 0, w)) {
        first = chunk[0]?.offset;
        break;
      }
    } catch (cause) {
      throw new ReplayUnavailableError(`partition ${partition} of ${topic} cannot be read from offset 0 (${(cause as Error).message})`);
    }
    if (first !== 0) throw new ReplayUnavailableError(`partition ${partition} of ${topic} starts at offset ${first ?? w} (retention removed the records before it)`);
  }
}

export interface ReplayOptions {
  config: LaminaConfig;
  log: EventLog;
  logger: Logger;
  /** Where the scratch lake goes (emptied by the caller). */
  scratchDir: string;
  watermark: readonly number[];
  runId: string;
  onProgress: (archived: number, total: number) => void;
}

/** Archives [0, watermark) of the log into a scratch lake on local disk. */
export async function archiveIntoScratchLake(options: ReplayOptions): Promise<LocalObjectStore> {
  const { config, logger } = options;
  const store = new LocalObjectStore({ root: join(options.scratchDir, 'lake') });
  const bounded = new BoundedEventLog(options.log, options.watermark);
  const archiver = new Archiver({ config, log: bounded, store, logger: logger.child({ replay: true }), registry: createRegistry(), groupId: `lamina-replay-${options.runId}` });
  const total = options.watermark.reduce((a, b) => a + b, 0);
  const timer = setInterval(() => options.onProgress(archiver.recordsRead(), total), 1000);
  try {
    await archiver.start();
    await archiver.catchUp();
    options.onProgress(total, total);
  } finally {
    clearInterval(timer);
    await archiver.stop();
  }
  return store;
}

/**
 * Copies a generation's view tables from the scratch lake into the lake, each under its own path
 * (`<table>-log<generation>`, so no table the lake path writes is touched), and returns the refs.
 */
export async function copyViewTables(from: ObjectStore, to: ObjectStore, views: Record<string, ViewTableRef>, generation: number, onProgress: (done: number, total: number) => void): Promise<Record<string, ViewTableRef>> {
  const tables = Object.values(views).flatMap((ref) => [ref.table, ...Object.values(ref.rollups ?? {}).map((r) => r!.table)]);
  const keys: string[] = [];
  for (const table of tables) for await (const info of from.list(`${table}/`)) keys.push(info.key);
  const renamed = (table: string) => `${table}-log${generation}`;
  let done = 0;
  for (const key of keys) {
    const table = tables.find((t) => key.startsWith(`${t}/`))!;
    await to.put(`${renamed(table)}${key.slice(table.length)}`, await from.get(key));
    onProgress(++done, keys.length);
  }
  return Object.fromEntries(
    Object.entries(views).map(([name, ref]) => [
      name,
      { ...ref, table: renamed(ref.table), ...(ref.rollups ? { rollups: Object.fromEntries(Object.entries(ref.rollups).map(([grain, r]) => [grain, { ...r!, table: renamed(r!.table) }])) } : {}) },
    ]),
  );
}

/** The scratch lake's generation as the lake's: its number, the lake's epoch and log, the copied tables. */
export function replayedManifest(scratch: GenerationManifest, real: { generation: number; epoch: number; log: GenerationManifest['log']; watermark: readonly number[]; views: Record<string, ViewTableRef> }): GenerationManifest {
  if (scratch.watermark.some((w, p) => w !== (real.watermark[p] ?? 0))) {
    throw new LaminaError('INTERNAL', `the replayed lake covers ${JSON.stringify(scratch.watermark)}, not the lake's frontier ${JSON.stringify(real.watermark)}; nothing published`);
  }
  return {
    ...scratch,
    generation: real.generation,
    createdAt: new Date().toISOString(),
    epoch: real.epoch,
    log: real.log,
    sealedEpochs: [],
    watermark: [...real.watermark],
    // Read from the log, not from the lake's tables.
    lakeVersion: -1,
    tableVersions: {},
    views: real.views,
    mode: 'full',
    source: 'log',
  };
}
