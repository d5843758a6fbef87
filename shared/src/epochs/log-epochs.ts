/**
 * Which log the lake describes. Offsets only mean something for one log: if Kafka's data is wiped,
 * or the topic recreated, new events get offsets the lake already counts. So the lake records the
 * log's identity per *epoch* (`lake/_log/epochs/<10-digit epoch>.json`, create-only): the cluster id,
 * the topic, and — from epoch 1 on — the frontier at which each earlier epoch was sealed. Rows, txns
 * and generations carry their epoch, so a new epoch's offsets never collide with an old one's.
 * `lamina log new-epoch` starts one; every layer refuses a log that does not match the newest.
 */
import { CorruptDataError } from '../errors.js';
import { lakeLayout, txnAppId } from '../lake-layout.js';
import type { ObjectStore } from '../ports/object-store.js';

export interface LogIdentity {
  /** Kafka's cluster id, or the embedded log's id (made when its folder is created). */
  clusterId: string;
  topic: string;
}

export interface SealedEpoch {
  epoch: number;
  /** Per partition: the epoch's rows below this offset count, and none above ever will. */
  frontier: number[];
}

export interface EpochRecord {
  epoch: number;
  log: LogIdentity;
  startedAt: string;
  /**
   * Per partition, the offset the epoch's archiving starts at (absent: 0). 0 for a log that was reset;
   * the old frontier for the same log under a new identity (`lamina log new-epoch --from frontier`).
   */
  startOffsets?: number[];
  /** Every earlier epoch, sealed (empty for epoch 0). */
  sealed: SealedEpoch[];
  /** Why the epoch was started (the problem `lamina log new-epoch` was run for). */
  reason?: string;
}

/** The archived frontier A_p of partition p in this epoch: after its last txn, or where the epoch started. */
export function epochFrontier(txns: ReadonlyMap<string, number>, record: Pick<EpochRecord, 'epoch' | 'startOffsets' | 'log'>, partition: number): number {
  const last = txns.get(txnAppId(record.log.topic, partition, record.epoch));
  return last === undefined ? (record.startOffsets?.[partition] ?? 0) : last + 1;
}

const decoder = new TextDecoder();
const key = (epoch: number) => `${lakeLayout.epochsPrefix}${String(epoch).padStart(10, '0')}.json`;

export class LogEpochs {
  constructor(private readonly store: ObjectStore) {}

  /** The newest epoch, or undefined before any process recorded the log. */
  async current(): Promise<EpochRecord | undefined> {
    let newest: string | undefined;
    for await (const info of this.store.list(lakeLayout.epochsPrefix)) if (info.key.endsWith('.json')) newest = info.key;
    if (!newest) return undefined;
    try {
      return JSON.parse(decoder.decode(await this.store.get(newest))) as EpochRecord;
    } catch (cause) {
      throw new CorruptDataError(`${newest} is not valid JSON; restore it from a backup`, { cause });
    }
  }

  /** Records an epoch, create-only; false if one with that number exists (another process won). */
  begin(record: EpochRecord): Promise<boolean> {
    return this.store.putIfAbsent(key(record.epoch), JSON.stringify(record, null, 2));
  }
}
