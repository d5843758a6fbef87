/**
 * Classic single-file checkpoints (`_delta_log/<version>.checkpoint.parquet`, V1 spec): the reconciled
 * state of one version, so readers load one object instead of replaying every JSON commit.
 *
 * What Lamina writes: protocol, metaData, every txn (never expired: the archiver's exactly-once frontier
 * lives in them), every live add, and remove tombstones younger than `delta.deletedFileRetentionDuration`
 * (default one week) as the protocol asks, so another engine's VACUUM keeps sparing recently removed
 * files that older snapshots still read. commitInfo is never checkpointed.
 *
 * A checkpoint is created once and never overwritten (putIfAbsent): two writers checkpointing the same
 * version produce the same table state, so whichever lands first serves, and no reader can see a file
 * change under it (other engines read Parquet with ranged GETs).
 */
import { CorruptDataError } from '../errors.js';
import type { ObjectStore } from '../ports/object-store.js';
import { checkpointActions, checkpointTable } from './checkpoint-schema.js';
import { writeLastCheckpoint, type LastCheckpoint } from './last-checkpoint.js';
import { checkpointKey } from './log-files.js';
import { decodeParquet, encodeParquet } from './parquet-io.js';
import { ReplayState } from './snapshot.js';

export interface CheckpointInfo extends LastCheckpoint {
  sizeInBytes: number;
  numOfAddFiles: number;
  /** False when the checkpoint already existed (written earlier or by another writer). */
  created: boolean;
}

const DEFAULT_TOMBSTONE_RETENTION_MS = 7 * 24 * 3600 * 1000;
const UNIT_MS: Record<string, number> = {
  millisecond: 1, second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000,
};

/** Writes the checkpoint of `state.version` (if missing) and points `_last_checkpoint` at it. */
export async function writeCheckpoint(store: ObjectStore, tablePath: string, state: ReplayState, now = Date.now()): Promise<CheckpointInfo> {
  const retention = tombstoneRetentionMs(state.metadata?.configuration ?? {});
  const actions = state.checkpointActions(now - retention);
  const bytes = await encodeParquet(checkpointTable(actions), { compression: 'snappy' });
  const key = checkpointKey(tablePath, state.version);
  const created = await store.putIfAbsent(key, bytes);
  const sizeInBytes = created ? bytes.length : ((await store.head(key))?.size ?? bytes.length);
  const info = { version: state.version, size: actions.length, sizeInBytes, numOfAddFiles: actions.filter((a) => 'add' in a).length };
  await writeLastCheckpoint(store, tablePath, info);
  return { ...info, created };
}

/** The state stored in the classic checkpoint of `version`. NotFoundError if it does not exist. */
export async function readCheckpoint(store: ObjectStore, tablePath: string, version: number): Promise<ReplayState> {
  const key = checkpointKey(tablePath, version);
  const actions = checkpointActions(await decodeParquet(await store.get(key), key), key);
  const state = ReplayState.fromCheckpoint(tablePath, version, actions);
  if (!state.protocol || !state.metadata) throw new CorruptDataError(`${key} holds no protocol or metaData row; it is not a complete checkpoint`);
  return state;
}

/**
 * `delta.deletedFileRetentionDuration` ("interval 1 week", Spark's calendar-interval syntax) in ms.
 * A value Lamina cannot parse keeps every tombstone: a larger checkpoint, never a premature VACUUM.
 */
export function tombstoneRetentionMs(configuration: Record<string, string>): number {
  const setting = configuration['delta.deletedFileRetentionDuration'];
  if (setting === undefined) return DEFAULT_TOMBSTONE_RETENTION_MS;
  const match = /^\s*(?:interval\s+)?(\d+)\s+([a-z]+?)s?\s*$/i.exec(setting);
  const unit = match && UNIT_MS[match[2]!.toLowerCase()];
  return unit ? Number(match[1]) * unit : Number.POSITIVE_INFINITY;
}
