/**
 * The archiver: log -> lake, exactly once. It reads each partition from its archived frontier (the
 * frontier table's `txn` for that partition), buffers, and writes each flush in three steps:
 *   1. the quarantine table (invalid messages), then each raw table (valid events of one type,
 *      one file per event date), each commit carrying that table's own `txn` per partition;
 *   2. the frontier table: one commit of `txn` actions only, which makes the flush's offset ranges
 *      count — a batch covers exactly the offsets below the frontier, across all tables.
 * A crash before step 2 leaves rows in some tables beyond the frontier: a batch ignores them (it
 * filters by offset), and the replay skips them per table (its own txn), so nothing is written twice.
 */
import {
  DeltaTable,
  EventValidator,
  LogGuard,
  LogMismatchError,
  epochFrontier,
  type EpochRecord,
  RANGES_TAG,
  RawRowsBuilder,
  UnavailableError,
  commitWithRetry,
  counter,
  formatRanges,
  gauge,
  histogram,
  openLake,
  quarantineToArrow,
  txnAppId,
  type Action,
  type AddFile,
  type EventLog,
  type LaminaConfig,
  type LaminaEvent,
  type LaminaLake,
  type LogConsumer,
  type LogRecord,
  type Logger,
  type ObjectStore,
  type OffsetRange,
  type PartitionBatch,
  type QuarantineRow,
  type Registry,
  archiverGroup,
} from '@lamina/shared';

export interface ArchiverOptions {
  config: LaminaConfig;
  log: EventLog;
  store: ObjectStore;
  logger: Logger;
  registry: Registry;
  groupId?: string;
  /** The log consumer died for good: nothing more will be archived by this instance. */
  onFailed?: (error: unknown) => void;
}

interface Buffered {
  record: LogRecord;
  event?: LaminaEvent;
  reason?: string;
}

/** Offsets [from, to) of one partition taken by a flush, and its records. */
interface Taken {
  partition: number;
  from: number;
  to: number;
  items: Buffered[];
}

/** How long catch-up waits without any progress before it calls the log stalled. */
const CATCH_UP_STALL_MS = 30_000;

export class Archiver {
  private readonly validator: EventValidator;
  private readonly buffers = new Map<number, Buffered[]>();
  private buffered = 0;
  /** Next offset the consumer will deliver, per owned partition. */
  private readonly positions = new Map<number, number>();
  /**
   * Per owned partition, the end of what some table already holds beyond the frontier (a flush that
   * crashed before its frontier commit). No flush ends below it, so the frontier never splits the
   * offset range of a data file already written.
   */
  private readonly horizons = new Map<number, number>();
  /** Records on the log past the last delivered batch, per owned partition (0: read to its end). */
  private readonly lags = new Map<number, number>();
  /** The last flush was started by a full buffer: the log had more than a flush's worth waiting. */
  private draining = false;
  private lake!: LaminaLake;
  private consumer: LogConsumer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** The flush the consumer started and reads on behind, until it ends. */
  private flushQueued: Promise<void> | undefined;
  private readonly metrics;
  /** Checks before every commit that the log is the log the lake describes (epochs/log-guard.ts). */
  private readonly guard: LogGuard;
  /** The log epoch this archiver writes: offsets, txns and rows are of this epoch. */
  private epochRecord: EpochRecord = { epoch: 0, log: { clusterId: '', topic: '' }, startedAt: '', sealed: [] };
  private failed = false;

  constructor(private readonly options: ArchiverOptions) {
    this.validator = new EventValidator(options.config);
    const { config, log, store, logger, registry } = options;
    this.guard = new LogGuard({ log, store, topic: config.topic, partitions: config.partitions, logger, registry });
    const r = options.registry;
    this.metrics = {
      archived: counter(r, 'lamina_archiver_events_archived_total', 'Valid events committed to the lake'),
      quarantined: counter(r, 'lamina_archiver_messages_quarantined_total', 'Invalid messages committed to the quarantine table'),
      commits: counter(r, 'lamina_archiver_commits_total', 'Lake commits made by the archiver'),
      flushSeconds: histogram(r, 'lamina_archiver_flush_seconds', 'Time to write and commit one flush'),
      frontier: gauge(r, 'lamina_archiver_frontier_offset', 'Archived frontier A_p: offsets below it are in the lake', ['partition']),
      lag: gauge(r, 'lamina_archiver_lag_records', 'Records on the log past what the archiver has read, per partition (at its last fetch)', ['partition']),
    };
  }

  private get topic(): string {
    return this.options.config.topic;
  }

  private get epoch(): number {
    return this.epochRecord.epoch;
  }

  /** Opens (creates, evolves) the lake's tables; idempotent. */
  async prepareLake(): Promise<LaminaLake> {
    this.lake ??= await openLake(this.options.store, this.options.config);
    return this.lake;
  }

  async start(): Promise<void> {
    const { log, config } = this.options;
    await log.ensureTopic(this.topic, config.partitions);
    await this.prepareLake();
    // A log that is not the lake's refuses to start: archiving it would skip or double offsets.
    this.epochRecord = await this.guard.verify();
    this.consumer = log.consumer({ groupId: this.options.groupId ?? archiverGroup(this.topic), topic: this.topic });
    await this.consumer.start({
      onAssigned: (partitions) => this.onAssigned(partitions),
      onRevoked: async (partitions) => {
        // Unflushed records of a lost partition are simply dropped: the new owner reads them from the frontier.
        for (const p of partitions) {
          this.buffered -= this.buffers.get(p)?.length ?? 0;
          this.buffers.delete(p);
          this.positions.delete(p);
          this.horizons.delete(p);
          this.lags.delete(p);
        }
      },
      onBatch: (batch) => this.onBatch(batch),
      onFailed: (error) => this.options.onFailed?.(error),
    });
    // Also between flushes: a reset log may deliver nothing at all (its offsets are all below ours).
    this.guard.start((error) => this.fail(error), this.epoch);
    this.timer = setInterval(() => {
      this.flush().catch((error) => {
        if (!(error instanceof LogMismatchError)) this.options.logger.error({ err: error }, 'archiver: flush failed; will retry');
      });
    }, config.archiver.flushIntervalMs);
    this.timer.unref();
  }

  /** Stops consuming; with `flush: false` (as a crash would) the buffer is dropped and read again by the next owner. */
  async stop(options: { flush?: boolean } = {}): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.guard.stop();
    await this.consumer?.stop();
    if (options.flush === false) {
      this.buffers.clear();
      this.buffered = 0;
      return;
    }
    await this.flush().catch((error) => this.options.logger.error({ err: error }, 'archiver: final flush failed; the records will be read again'));
  }

  /** The archived frontier A_p per partition, from the lake itself. */
  async frontier(): Promise<Map<number, number>> {
    const snapshot = await this.lake.frontier.snapshot();
    const result = new Map<number, number>();
    for (let p = 0; p < this.options.config.partitions; p++) result.set(p, epochFrontier(snapshot.txns, this.epochRecord, p));
    return result;
  }

  private async onAssigned(partitions: number[]): Promise<Map<number, number>> {
    const frontier = await this.frontier();
    const tables = [...this.lake.raw.values(), this.lake.quarantine];
    const snapshots = await Promise.all(tables.map((t) => t.snapshot()));
    const starts = new Map<number, number>();
    for (const p of partitions) {
      const written = Math.max(...snapshots.map((s) => (s.txns.get(txnAppId(this.topic, p, this.epoch)) ?? -1) + 1));
      this.horizons.set(p, written);
      starts.set(p, frontier.get(p) ?? 0);
      this.buffered -= this.buffers.get(p)?.length ?? 0;
      this.buffers.set(p, []);
      this.positions.set(p, frontier.get(p) ?? 0);
      this.metrics.frontier.set({ partition: String(p) }, frontier.get(p) ?? 0);
    }
    this.options.logger.info({ partitions, starts: Object.fromEntries(starts) }, 'archiver: partitions assigned');
    return starts;
  }

  private async onBatch(batch: PartitionBatch): Promise<void> {
    const buffer = this.buffers.get(batch.partition);
    if (!buffer) return;
    // Records below the position are buffered or archived already: the log delivers a batch again when
    // onBatch fails (below, when the flush it waits on fails). A batch taken back out instead was read
    // twice when that flush failed after its commits had released the buffer: archived twice at the
    // same positions, which the batch's deduplication then dropped both of.
    const from = this.positions.get(batch.partition) ?? 0;
    let added = 0;
    for (const record of batch.records) {
      if (record.offset < from) continue;
      const result = this.validator.validateMessage(record.value);
      buffer.push(result.ok ? { record, event: result.event } : { record, reason: result.reason });
      added++;
    }
    this.buffered += added;
    const last = batch.records.at(-1);
    if (last && last.offset >= from) {
      const lag = Math.max(0, batch.highWatermark - last.offset - 1);
      this.positions.set(batch.partition, last.offset + 1);
      this.lags.set(batch.partition, lag);
      this.metrics.lag.set({ partition: String(batch.partition) }, lag);
    }
    // Back pressure: the consumer reads on while a full buffer is written (the Parquet upload and the
    // commits are round trips that would idle it), and waits once a second one is full. The flush in
    // flight takes only what was buffered when it began, so under a backlog each flush grows to what
    // arrived during the one before. A failed flush keeps the buffer; failing here makes the log back
    // off and deliver this batch again, which the position above passes over.
    const flushing = this.flushIfDue();
    if (!flushing || this.buffered < 2 * this.options.config.archiver.flushRecords) return;
    await flushing;
  }

  /**
   * The flush in flight, else a new one if the buffer is full or ends a backlog; else none (the timer
   * flushes a trickle). The end of a backlog is archived at once, not up to flushIntervalMs later; only
   * then, since at a trickle every fetch reads to the log's end and would make a file of its own.
   */
  private flushIfDue(): Promise<void> | undefined {
    if (this.flushQueued) return this.flushQueued;
    const full = this.buffered >= this.options.config.archiver.flushRecords;
    const backlogEnd = this.draining && this.buffered > 0 && [...this.lags.values()].every((lag) => lag === 0);
    if (!full && !backlogEnd) return undefined;
    this.draining = full;
    return this.queueFlush();
  }

  /** A flush behind the consumer's back; a failure is logged and the next flush (or the timer's) retries. */
  private queueFlush(): Promise<void> {
    const flushing = this.flush();
    this.flushQueued = flushing;
    const done = () => {
      if (this.flushQueued === flushing) this.flushQueued = undefined;
    };
    flushing.then(() => {
      done();
      // What arrived meanwhile: no batch may come to start its flush (the log's end was reached).
      this.flushIfDue();
    }, (error: unknown) => {
      done();
      if (!(error instanceof LogMismatchError)) this.options.logger.error({ err: error }, 'archiver: flush failed; will retry');
    });
    return flushing;
  }

  /** Records read from the log so far, over every partition this instance was given (its next offsets). */
  recordsRead(): number {
    let n = 0;
    for (const next of this.positions.values()) n += next;
    return n;
  }

  /**
   * Reads up to the log's current end on every owned partition, then flushes: afterwards the lake
   * holds every event that was in the log when this was called (what "run a batch now" needs).
   * A backlog of any size is fine: it fails only when no progress is made for 30 s (a stalled log).
   */
  async catchUp(): Promise<void> {
    const ends = await this.options.log.endOffsets(this.topic);
    const behind = () => [...this.positions].filter(([p, next]) => next < (ends[p] ?? 0));
    const remaining = () => behind().reduce((sum, [p, next]) => sum + (ends[p] ?? 0) - next, 0);
    let last = remaining();
    let progressAt = Date.now();
    let reportedAt = Date.now();
    // Caught up means nothing behind once the last flush is done (a failed one keeps its buffer).
    for (;;) {
      while (behind().length > 0) {
        const now = Date.now();
        const left = remaining();
        if (left < last) {
          last = left;
          progressAt = now;
        }
        if (now - progressAt > CATCH_UP_STALL_MS) {
          throw new UnavailableError(`archiver made no progress for ${CATCH_UP_STALL_MS / 1000} s while catching up (${left} records behind on partitions ${behind().map(([p]) => p).join(', ')}); is the log reachable?`);
        }
        if (now - reportedAt >= 5_000) {
          reportedAt = now;
          this.options.logger.info({ recordsBehind: left }, 'archiver: catching up with the log');
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await this.flush();
      if (behind().length === 0) return;
    }
  }

  /** Commits everything buffered so far. Concurrent calls queue up behind each other. */
  flush(): Promise<void> {
    this.flushing = this.flushing.catch(() => undefined).then(() => this.flushOnce());
    this.flushing.catch((error: unknown) => {
      if (error instanceof LogMismatchError) this.fail(error);
    });
    return this.flushing;
  }

  /** The log was reset or replaced: archive nothing more; the process ends with the reason (onFailed). */
  private fail(error: LogMismatchError): void {
    if (this.failed) return;
    this.failed = true;
    if (this.timer) clearInterval(this.timer);
    this.guard.stop();
    this.options.logger.fatal({ err: error }, 'archiver: stopping, nothing more is archived from this log');
    void this.consumer?.stop().catch(() => undefined);
    this.options.onFailed?.(error);
  }

  private async flushOnce(): Promise<void> {
    const taken: Taken[] = [];
    for (const [partition, buffer] of this.buffers) {
      if (buffer.length === 0 || buffer.at(-1)!.record.offset + 1 < (this.horizons.get(partition) ?? 0)) continue;
      taken.push({ partition, from: buffer[0]!.record.offset, to: buffer.at(-1)!.record.offset + 1, items: buffer.slice() });
    }
    if (taken.length === 0 || this.failed) return;
    const stop = this.metrics.flushSeconds.startTimer();
    // Offsets mean something only for the log the lake describes: checked while the files are
    // written, and every commit waits for it.
    const verified = this.guard.verify(this.epoch);
    verified.catch(() => undefined);
    const quarantined = await this.commitQuarantine(taken, verified);
    let archived = 0;
    for (const [type, table] of this.lake.raw) archived += await this.commitRaw(type, table, taken, verified);
    await this.commitFrontier(taken, verified);
    await verified; // also when nothing was left to commit: a log that is not the lake's stops the archiver
    // Only now is the buffer released: a failed commit keeps it for the next try.
    for (const t of taken) {
      // A partition revoked or assigned again meanwhile has a new buffer, already counted.
      const buffer = this.buffers.get(t.partition);
      if (buffer && buffer[0] === t.items[0]) {
        buffer.splice(0, t.items.length);
        this.buffered -= t.items.length;
      }
    }
    stop();
    this.metrics.archived.inc(archived);
    this.metrics.quarantined.inc(quarantined);
    if (quarantined > 0) this.options.logger.warn({ quarantined, partitions: taken.map((t) => ({ partition: t.partition, from: t.from, to: t.to })) }, `archiver: ${quarantined} invalid message(s) quarantined (lake/quarantine holds each with its reason)`);
    const positions = taken.map((t) => ({ partition: t.partition, offset: t.to }));
    await this.options.log.commitOffsets(this.options.groupId ?? archiverGroup(this.topic), this.topic, positions);
    this.options.logger.debug({ archived, quarantined, partitions: positions }, 'archiver: flushed');
  }

  /** The part of `taken` a table does not hold yet (its own txn says how far it got). */
  private fresh(taken: readonly Taken[], txns: ReadonlyMap<string, number>): Taken[] {
    return taken.flatMap((t) => {
      const done = txns.get(txnAppId(this.topic, t.partition, this.epoch)) ?? -1;
      if (done >= t.to - 1) return [];
      return [done < t.from ? t : { ...t, from: done + 1, items: t.items.filter((i) => i.record.offset > done) }];
    });
  }

  private txnActions(ranges: readonly Taken[]): Action[] {
    const now = Date.now();
    return ranges.map((t) => ({ txn: { appId: txnAppId(this.topic, t.partition, this.epoch), version: t.to - 1, lastUpdated: now } }));
  }

  /** Invalid messages: committed before the events, so a replay finds them already quarantined. */
  private async commitQuarantine(taken: readonly Taken[], verified: Promise<unknown>): Promise<number> {
    // Most flushes hold no invalid message: then there is nothing to read or write in that table.
    if (!taken.some((t) => t.items.some((i) => i.reason !== undefined))) return 0;
    const table = this.lake.quarantine;
    const result = await commitWithRetry(table, async (snapshot) => {
      const rows: QuarantineRow[] = [];
      const fresh = this.fresh(taken, snapshot.txns).filter((t) => t.items.some((i) => i.reason !== undefined));
      for (const t of fresh) {
        for (const { record, reason } of t.items) {
          if (reason !== undefined) rows.push({ epoch: this.epoch, partition: t.partition, offset: record.offset, logTime: record.timestamp, key: record.key, value: record.value, reason });
        }
      }
      if (rows.length === 0) return null;
      const ranges = fresh.map((t) => ({ epoch: this.epoch, partition: t.partition, from: t.from, to: t.to, rows: t.items.filter((i) => i.reason !== undefined).length }));
      const add = await table.writeDataFile(quarantineToArrow(rows), { snapshot, tags: { [RANGES_TAG]: formatRanges(ranges) } });
      return { actions: [{ add }, ...this.txnActions(fresh)], files: [add], value: rows.length, options: { operation: 'LAMINA quarantine' }, ready: verified };
    });
    if (result.version !== null) this.metrics.commits.inc();
    return result.value ?? 0;
  }

  /** Valid events of one type: one data file per event date, tagged with the flush's offset ranges. */
  private async commitRaw(type: string, table: DeltaTable, taken: readonly Taken[], verified: Promise<unknown>): Promise<number> {
    if (!taken.some((t) => t.items.some((i) => i.event?.type === type))) return 0;
    const { columns, current } = this.lake.schemas.get(type)!;
    const result = await commitWithRetry(table, async (snapshot) => {
      const fresh = this.fresh(taken, snapshot.txns);
      const builder = new RawRowsBuilder(columns, current.version);
      for (const t of fresh) {
        for (const { record, event } of t.items) {
          if (event?.type === type) builder.add(event, { epoch: this.epoch, partition: t.partition, offset: record.offset, logTime: record.timestamp });
        }
      }
      if (builder.size === 0) return null;
      const files: AddFile[] = [];
      for (const { table: rows, partitions } of builder.tables()) {
        const ranges: OffsetRange[] = fresh.filter((t) => partitions.has(t.partition)).map((t) => ({ epoch: this.epoch, partition: t.partition, from: t.from, to: t.to, rows: partitions.get(t.partition)! }));
        files.push(await table.writeDataFile(rows, { snapshot, tags: { [RANGES_TAG]: formatRanges(ranges) } }));
      }
      return { actions: [...files.map((add) => ({ add })), ...this.txnActions(fresh)], files, value: builder.size, options: { operation: 'LAMINA archive' }, ready: verified };
    });
    if (result.version !== null) this.metrics.commits.inc();
    return result.value ?? 0;
  }

  /** The commit that makes the flush count: the archived frontier moves past every taken offset. */
  private async commitFrontier(taken: readonly Taken[], verified: Promise<unknown>): Promise<void> {
    const result = await commitWithRetry(this.lake.frontier, async (snapshot) => {
      const fresh = this.fresh(taken, snapshot.txns);
      if (fresh.length === 0) return null; // another archiver instance got there first
      return { actions: this.txnActions(fresh), files: [], value: undefined, options: { operation: 'LAMINA frontier' }, ready: verified };
    });
    if (result.version === null) return;
    this.metrics.commits.inc();
    for (const t of taken) this.metrics.frontier.set({ partition: String(t.partition) }, t.to);
  }
}
