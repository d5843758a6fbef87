/**
 * The archiver: log -> lake, exactly once. It reads each partition from its archived frontier
 * (the lake's `txn` for that partition), buffers, and commits contiguous offset ranges together
 * with the new frontier in one Delta commit. A crash before the commit loses only the buffer,
 * which is read again; a commit is never repeated because the frontier travels inside it.
 */
import {
  ConflictError,
  UnavailableError,
  DeltaTable,
  EventValidator,
  counter,
  gauge,
  histogram,
  lakeLayout,
  quarantineSchema,
  quarantineToArrow,
  rawEventsSchema,
  rawEventsToArrow,
  txnAppId,
  type Action,
  type EventLog,
  type LaminaConfig,
  type LogConsumer,
  type LogRecord,
  type Logger,
  type ObjectStore,
  type PartitionBatch,
  type QuarantineRow,
  type RawEventRow,
  type Registry,
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
  valid?: RawEventRow;
  invalid?: QuarantineRow;
}

const MAX_COMMIT_ATTEMPTS = 10;

export class Archiver {
  private readonly validator: EventValidator;
  private readonly buffers = new Map<number, Buffered[]>();
  private buffered = 0;
  /** Next offset the consumer will deliver, per owned partition. */
  private readonly positions = new Map<number, number>();
  private events!: DeltaTable;
  private quarantine!: DeltaTable;
  private consumer: LogConsumer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly metrics;

  constructor(private readonly options: ArchiverOptions) {
    this.validator = new EventValidator(options.config);
    const r = options.registry;
    this.metrics = {
      archived: counter(r, 'lamina_archiver_events_archived_total', 'Valid events committed to the lake'),
      quarantined: counter(r, 'lamina_archiver_messages_quarantined_total', 'Invalid messages committed to the quarantine table'),
      commits: counter(r, 'lamina_archiver_commits_total', 'Lake commits made by the archiver'),
      flushSeconds: histogram(r, 'lamina_archiver_flush_seconds', 'Time to write and commit one flush'),
      frontier: gauge(r, 'lamina_archiver_frontier_offset', 'Archived frontier A_p: offsets below it are in the lake', ['partition']),
    };
  }

  private get topic(): string {
    return this.options.config.topic;
  }

  /** Ensures the lake tables exist (idempotent); the batch layer may call this too. */
  async prepareLake(): Promise<void> {
    this.events = await DeltaTable.open(this.options.store, lakeLayout.eventsTable);
    await this.events.createIfMissing(rawEventsSchema);
    this.quarantine = await DeltaTable.open(this.options.store, lakeLayout.quarantineTable);
    await this.quarantine.createIfMissing(quarantineSchema);
  }

  async start(): Promise<void> {
    const { log, config } = this.options;
    await log.ensureTopic(this.topic, config.partitions);
    await this.prepareLake();
    this.consumer = log.consumer({ groupId: this.options.groupId ?? 'lamina-archiver', topic: this.topic });
    await this.consumer.start({
      onAssigned: (partitions) => this.onAssigned(partitions),
      onRevoked: async (partitions) => {
        // Unflushed records of a lost partition are simply dropped: the new owner reads them from the frontier.
        for (const p of partitions) {
          this.buffered -= this.buffers.get(p)?.length ?? 0;
          this.buffers.delete(p);
          this.positions.delete(p);
        }
      },
      onBatch: (batch) => this.onBatch(batch),
      onFailed: (error) => this.options.onFailed?.(error),
    });
    this.timer = setInterval(() => {
      this.flush().catch((error) => this.options.logger.error({ err: error }, 'archiver: flush failed; will retry'));
    }, config.archiver.flushIntervalMs);
    this.timer.unref();
  }

  /** Stops consuming; with `flush: false` (as a crash would) the buffer is dropped and read again by the next owner. */
  async stop(options: { flush?: boolean } = {}): Promise<void> {
    if (this.timer) clearInterval(this.timer);
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
    const snapshot = await this.events.snapshot();
    const result = new Map<number, number>();
    for (let p = 0; p < this.options.config.partitions; p++) {
      const last = snapshot.txns.get(txnAppId(this.topic, p));
      result.set(p, last === undefined ? 0 : last + 1);
    }
    return result;
  }

  private async onAssigned(partitions: number[]): Promise<Map<number, number>> {
    const frontier = await this.frontier();
    const starts = new Map<number, number>();
    for (const p of partitions) {
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
    for (const record of batch.records) {
      const result = this.validator.validateMessage(record.value);
      if (result.ok) buffer.push({ record, valid: { event: result.event, partition: record.partition, offset: record.offset, logTime: record.timestamp } });
      else buffer.push({ record, invalid: { partition: record.partition, offset: record.offset, logTime: record.timestamp, key: record.key, value: record.value, reason: result.reason } });
    }
    this.buffered += batch.records.length;
    const last = batch.records.at(-1);
    if (last) this.positions.set(batch.partition, last.offset + 1);
    // Back pressure: the consumer waits while a full buffer is written.
    if (this.buffered >= this.options.config.archiver.flushRecords) await this.flush();
  }

  /**
   * Reads up to the log's current end on every owned partition, then flushes: afterwards the lake
   * holds every event that was in the log when this was called (what "run a batch now" needs).
   */
  async catchUp(timeoutMs = 30_000): Promise<void> {
    const ends = await this.options.log.endOffsets(this.topic);
    const deadline = Date.now() + timeoutMs;
    const behind = () => [...this.positions].filter(([p, next]) => next < (ends[p] ?? 0));
    while (behind().length > 0) {
      if (Date.now() > deadline) {
        throw new UnavailableError(`archiver did not read up to the log end within ${timeoutMs} ms (behind on partitions ${behind().map(([p]) => p).join(', ')}); is the log reachable?`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await this.flush();
  }

  /** Commits everything buffered so far. Concurrent calls queue up behind each other. */
  flush(): Promise<void> {
    this.flushing = this.flushing.catch(() => undefined).then(() => this.flushOnce());
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const taken = new Map<number, Buffered[]>();
    for (const [p, buffer] of this.buffers) if (buffer.length > 0) taken.set(p, buffer.slice());
    if (taken.size === 0) return;
    const stop = this.metrics.flushSeconds.startTimer();
    await this.commitQuarantine(taken);
    const archived = await this.commitEvents(taken);
    // Only now is the buffer released: a failed commit keeps it for the next try.
    for (const [p, items] of taken) {
      const buffer = this.buffers.get(p);
      if (buffer && buffer[0] === items[0]) buffer.splice(0, items.length);
      this.buffered -= items.length;
    }
    stop();
    const positions = [...taken].map(([partition, items]) => ({ partition, offset: items.at(-1)!.record.offset + 1 }));
    await this.options.log.commitOffsets(this.options.groupId ?? 'lamina-archiver', this.topic, positions);
    this.options.logger.debug({ archived, partitions: positions }, 'archiver: flushed');
  }

  /** Quarantine first: if we crash before the events commit, the replay skips what is already quarantined. */
  private async commitQuarantine(taken: Map<number, Buffered[]>): Promise<void> {
    // Most flushes hold no invalid message: then there is nothing to read or write in that table.
    if (![...taken.values()].some((items) => items.some((item) => item.invalid))) return;
    await this.commitWithRetry(this.quarantine, 'quarantine', (txns) => {
      const rows: QuarantineRow[] = [];
      const lastByPartition = new Map<number, number>();
      for (const [p, items] of taken) {
        const done = txns.get(txnAppId(this.topic, p)) ?? -1;
        for (const item of items) {
          if (item.invalid && item.record.offset > done) {
            rows.push(item.invalid);
            lastByPartition.set(p, item.record.offset);
          }
        }
      }
      return { rows, lastByPartition, toArrow: () => quarantineToArrow(rows) };
    }, (n) => this.metrics.quarantined.inc(n));
  }

  private async commitEvents(taken: Map<number, Buffered[]>): Promise<number> {
    let archived = 0;
    await this.commitWithRetry(this.events, 'archive', (txns) => {
      const rows: RawEventRow[] = [];
      const lastByPartition = new Map<number, number>();
      for (const [p, items] of taken) {
        const done = txns.get(txnAppId(this.topic, p)) ?? -1;
        const fresh = items.filter((item) => item.record.offset > done);
        if (fresh.length === 0) continue; // another archiver instance got there first
        for (const item of fresh) if (item.valid) rows.push(item.valid);
        // The frontier moves past invalid messages too: they are accounted for in the quarantine table.
        lastByPartition.set(p, fresh.at(-1)!.record.offset);
      }
      archived = rows.length;
      return { rows, lastByPartition, toArrow: () => rawEventsToArrow(rows) };
    }, (n) => this.metrics.archived.inc(n));
    return archived;
  }

  /**
   * Writes the data file and commits it with the `txn` frontiers; on a lost race, re-reads the
   * table and redoes the plan (the winner may have archived some of the same offsets).
   */
  private async commitWithRetry(
    table: DeltaTable,
    operation: string,
    plan: (txns: ReadonlyMap<string, number>) => { rows: unknown[]; lastByPartition: Map<number, number>; toArrow: () => import('apache-arrow').Table },
    onCommitted: (rows: number) => void,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const snapshot = await table.snapshot();
      const { rows, lastByPartition, toArrow } = plan(snapshot.txns);
      if (lastByPartition.size === 0) return;
      const actions: Action[] = [];
      const add = rows.length > 0 ? await table.writeDataFile(toArrow()) : undefined;
      if (add) actions.push({ add });
      const now = Date.now();
      for (const [p, last] of lastByPartition) actions.push({ txn: { appId: txnAppId(this.topic, p), version: last, lastUpdated: now } });
      try {
        await table.commit(snapshot.version, actions, { operation: `LAMINA ${operation}` });
      } catch (error) {
        // Nothing references the file of the failed attempt; remove it so the lake holds no orphans.
        if (add) await table.discardDataFiles([add]);
        if (!(error instanceof ConflictError) || attempt >= MAX_COMMIT_ATTEMPTS) throw error;
        continue;
      }
      onCommitted(rows.length);
      this.metrics.commits.inc();
      if (operation === 'archive') for (const [p, last] of lastByPartition) this.metrics.frontier.set({ partition: String(p) }, last + 1);
      return;
    }
  }
}
