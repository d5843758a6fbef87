/**
 * The log guard: is the log this process talks to the log the lake describes? It compares the log's
 * cluster id and topic with the lake's newest epoch record, and the log's end offsets with the archived
 * frontier of that epoch (a recreated topic starts again at 0, below it). Every layer asks before it
 * acts on offsets: the archiver before each commit, the speed layer when it starts and polls, the batch
 * before it publishes, ingest (from the periodic check) before it accepts. On a mismatch they refuse,
 * with a message that says what happened and how to recover; `lamina_log_identity_ok` shows it.
 */
import { LogMismatchError, NotFoundError } from '../errors.js';
import { DeltaTable } from '../lake/delta-table.js';
import { lakeLayout } from '../lake-layout.js';
import type { EventLog } from '../ports/event-log.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { Logger } from '../observability/logger.js';
import { gauge, type Registry } from '../observability/metrics.js';
import { LogEpochs, epochFrontier, type EpochRecord } from './log-epochs.js';

export interface LogGuardOptions {
  log: EventLog;
  store: ObjectStore;
  topic: string;
  partitions: number;
  logger: Logger;
  registry: Registry;
  /** How often start() checks; default 2000 ms. */
  intervalMs?: number;
}

const RECOVERY =
  'Events the old log acknowledged but the lake had not archived yet are gone with it; everything archived stays counted. ' +
  'To go on: stop every Lamina process, then run `lamina log new-epoch` (see docs/operations.md, "The log was reset")';

/** The archived frontier of an epoch, per partition, from the frontier table (its start before the first flush). */
export async function archivedFrontier(frontier: DeltaTable, record: EpochRecord, partitions: number): Promise<number[]> {
  const snapshot = await frontier.snapshot().catch((error: unknown) => {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  });
  return Array.from({ length: partitions }, (_, p) => epochFrontier(snapshot?.txns ?? new Map(), record, p));
}

export class LogGuard {
  private readonly epochs: LogEpochs;
  private readonly frontier: DeltaTable;
  private readonly ok;
  private problemText: string | undefined;
  private lastEpoch = 0;
  private checking: Promise<EpochRecord> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: LogGuardOptions) {
    this.epochs = new LogEpochs(options.store);
    this.frontier = DeltaTable.open(options.store, lakeLayout.frontierTable);
    this.ok = gauge(options.registry, 'lamina_log_identity_ok', '1 while the log is the log the lake describes (cluster, topic, offsets), 0 when it was reset or replaced');
  }

  /** The log epoch of the latest successful check (0 before any). */
  epoch(): number {
    return this.lastEpoch;
  }

  /** The problem found by the latest check, if the log does not match. */
  problem(): string | undefined {
    return this.problemText;
  }

  /**
   * Checks now (concurrent callers share one check) and resolves to the lake's current epoch, or
   * rejects with LogMismatchError. `expectedEpoch`: the epoch this process works in.
   */
  verify(expectedEpoch?: number): Promise<EpochRecord> {
    this.checking ??= this.check().finally(() => (this.checking = undefined));
    return this.checking.then((record) => {
      if (expectedEpoch !== undefined && record.epoch !== expectedEpoch) {
        throw this.mismatch(`the lake started log epoch ${record.epoch} while this process works in epoch ${expectedEpoch}; restart it`);
      }
      return record;
    });
  }

  /** Checks every interval; `onMismatch` hears of each failed check (the first of a run of them is logged). */
  start(onMismatch?: (error: LogMismatchError) => void, expectedEpoch?: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.verify(expectedEpoch).catch((error: unknown) => {
        if (error instanceof LogMismatchError) onMismatch?.(error);
      });
    }, this.options.intervalMs ?? 2000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async check(): Promise<EpochRecord> {
    const { log, topic, partitions } = this.options;
    const clusterId = await log.clusterId();
    let record = await this.epochs.current();
    if (!record) {
      // The first process on a new lake records the log it found.
      const first: EpochRecord = { epoch: 0, log: { clusterId, topic }, startedAt: new Date().toISOString(), sealed: [] };
      record = (await this.epochs.begin(first)) ? first : await this.epochs.current();
    }
    if (!record) throw new Error('the log epoch record vanished right after it was written');
    const since = `epoch ${record.epoch}, recorded ${record.startedAt}`;
    if (record.log.clusterId !== clusterId) {
      throw this.mismatch(`the log's cluster id is ${clusterId}, but the lake describes cluster ${record.log.clusterId} (${since}): the broker's data (or the embedded log folder) was wiped, or Lamina points at another cluster`);
    }
    if (record.log.topic !== topic) {
      throw this.mismatch(`this process reads topic '${topic}', but the lake describes topic '${record.log.topic}' (${since})`);
    }
    const [ends, archived] = await Promise.all([log.endOffsets(topic), archivedFrontier(this.frontier, record, partitions)]);
    const behind = archived.flatMap((a, p) => ((ends[p] ?? 0) < a ? [`partition ${p} ends at offset ${ends[p] ?? 0}, below the archived frontier ${a}`] : []));
    if (behind.length > 0) {
      throw this.mismatch(`the log is behind what the lake archived from it (${since}): ${behind.join('; ')} — the topic was deleted and recreated, or the broker lost data`);
    }
    if (this.problemText !== undefined) this.options.logger.info({ epoch: record.epoch }, 'log identity: the log matches the lake again');
    this.problemText = undefined;
    this.ok.set(1);
    this.lastEpoch = record.epoch;
    return record;
  }

  private mismatch(what: string): LogMismatchError {
    const message = `the log is not the log the lake describes: ${what}. ${RECOVERY}`;
    if (this.problemText === undefined) this.options.logger.error({ problem: what }, `log identity: ${message}`);
    this.problemText = message;
    this.ok.set(0);
    return new LogMismatchError(message);
  }
}
