/**
 * The speed layer: folds the events a generation does not cover into realtime views, per partition
 * this instance owns. When a new generation is published it rebuilds that generation's state by
 * replaying [W_p(G+1), live position) from the log while still serving G, then drops states the
 * serving layer can no longer ask for.
 */
import {
  EventValidator,
  collectedGauge,
  GenerationStore,
  genesisManifest,
  compileViews,
  encodeRows,
  accumulateRows,
  coverageVersion,
  dedupWindowOf,
  type LaminaEvent,
  counter,
  gauge,
  type CompiledView,
  type EventLog,
  type GenerationManifest,
  type GroupRow,
  type LaminaConfig,
  type LogConsumer,
  type LogRecord,
  type Logger,
  type PartitionBatch,
  type RealtimePart,
  type RealtimeRequest,
  type RealtimeSource,
  type RealtimeStatus,
  type ObjectStore,
  type Registry,
  type EncodedRealtimePart,
  ValidationError,
  resolveSchemas,
  LogGuard,
  LogMismatchError,
  speedGroup,
} from '@lamina/shared';
import { Folded, GenerationState, PartitionState } from './generation-state.js';
import { LakeKeys } from './lake-keys.js';
import { PartitionQueues } from './partition-queue.js';

export interface SpeedLayerOptions {
  config: LaminaConfig;
  log: EventLog;
  /** The lake: generations and the schema registry are read from it. */
  store: ObjectStore;
  logger: Logger;
  registry: Registry;
  /** Names this instance in answers and metrics. */
  instance: string;
  groupId?: string;
  /** Poll for new generations (ms); 0 disables polling (embedded mode notifies directly). */
  generationPollMs?: number;
  /** The log consumer died for good: this instance folds nothing more. */
  onFailed?: (error: unknown) => void;
}


export class SpeedLayer implements RealtimeSource {
  readonly name: string;
  private readonly views: CompiledView[];
  private readonly viewsByName: Map<string, CompiledView>;
  private readonly validator: EventValidator;
  private readonly states = new Map<number, GenerationState>();
  private readonly livePosition = new Map<number, number>();
  private readonly queues = new PartitionQueues();
  private consumer: LogConsumer | undefined;
  private poller: NodeJS.Timeout | undefined;
  private readonly metrics;
  private readonly generations: GenerationStore;
  /** Checks that the log is the log the lake describes (epochs/log-guard.ts), at start and every poll. */
  private readonly guard: LogGuard;
  /** The log epoch this instance folds: generations of another epoch cannot be merged with it. */
  private epoch = 0;
  private failed = false;

  constructor(private readonly options: SpeedLayerOptions) {
    this.generations = new GenerationStore(options.store);
    this.guard = new LogGuard({ log: options.log, store: options.store, topic: options.config.topic, partitions: options.config.partitions, logger: options.logger, registry: options.registry });
    this.name = options.instance;
    this.views = compileViews(options.config);
    this.viewsByName = new Map(this.views.map((v) => [v.name, v]));
    this.validator = new EventValidator(options.config);
    const r = options.registry;
    this.metrics = {
      folded: counter(r, 'lamina_speed_records_folded_total', 'Log records folded into realtime state (per generation state)', ['instance']),
      duplicates: counter(r, 'lamina_speed_duplicates_total', 'Later copies of an event passed over without counting (deduplication), per generation state', ['instance']),
      invalid: counter(r, 'lamina_speed_invalid_records_total', 'Records on the topic that failed validation (the archiver quarantines them)', ['instance']),
      lag: gauge(r, 'lamina_speed_lag_records', 'Log end offset minus the next offset to fold, newest generation', ['instance', 'partition']),
      generation: gauge(r, 'lamina_speed_newest_ready_generation', 'Newest generation ready on every owned partition', ['instance']),
    };
    // Realtime state size, counted at scrape time: groups held per view over every generation state kept.
    collectedGauge(r, 'lamina_speed_state_rows', 'Realtime state rows (groups) held, per view, over the generation states this instance keeps', ['instance', 'view'], (rows) => {
      const perView = new Map<string, number>();
      for (const state of this.states.values()) {
        for (const ps of state.partitions.values()) for (const [view, aggregate] of ps.aggregates) perView.set(view, (perView.get(view) ?? 0) + aggregate.size);
      }
      rows.reset();
      for (const [view, n] of perView) rows.set({ instance: this.options.instance, view }, n);
    });
  }

  private get topic(): string {
    return this.options.config.topic;
  }

  async start(): Promise<void> {
    const { log, config } = this.options;
    const { generations } = this;
    await resolveSchemas(this.options.store, config);
    await log.ensureTopic(this.topic, config.partitions);
    this.epoch = (await this.guard.verify()).epoch;
    const latest = (await generations.latest()) ?? genesisManifest(config.topic, config.partitions);
    if (latest.epoch !== this.epoch) {
      throw new LogMismatchError(
        `the newest generation (${latest.generation}) covers log epoch ${latest.epoch}, but the lake archives epoch ${this.epoch}: ` +
          'folding the new log on top of it would leave out what the lake archived of the old one. Run `lamina batch run` (`lamina log new-epoch` does), then start the speed layer',
      );
    }
    this.states.set(latest.generation, this.generationState(latest));
    this.consumer = log.consumer({ groupId: this.options.groupId ?? speedGroup(this.topic), topic: this.topic });
    await this.consumer.start({
      onAssigned: (partitions) => this.onAssigned(partitions),
      onRevoked: async (partitions) => this.onRevoked(partitions),
      onBatch: (batch) => this.queues.run(batch.partition, async () => this.onBatch(batch)),
      onFailed: (error) => this.options.onFailed?.(error),
    });
    const pollMs = this.options.generationPollMs ?? config.speed.generationPollMs;
    if (pollMs > 0) {
      this.poller = setInterval(() => {
        this.refreshGeneration().catch((error) => {
          if (error instanceof LogMismatchError) this.fail(error);
          else this.options.logger.warn({ err: error }, 'speed: could not look for a new generation');
        });
      }, pollMs);
      this.poller.unref();
    }
    this.options.logger.info({ generation: latest.generation, partitions: this.consumer.assignment() }, 'speed layer started');
  }

  async stop(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    await this.consumer?.stop();
    await this.queues.drain();
  }

  /** The log was reset or replaced: fold nothing more; the process ends with the reason (onFailed). */
  private fail(error: LogMismatchError): void {
    if (this.failed) return;
    this.failed = true;
    if (this.poller) clearInterval(this.poller);
    this.options.logger.fatal({ err: error }, 'speed: stopping, nothing more is folded from this log');
    void this.consumer?.stop().catch(() => undefined);
    this.options.onFailed?.(error);
  }

  /** Checks the log, then looks for a newer published generation and starts building its state. */
  async refreshGeneration(): Promise<void> {
    await this.guard.verify(this.epoch);
    const newest = await this.generations.latestNumber();
    if (newest > 0 && !this.states.has(newest)) await this.addGeneration(await this.generations.get(newest));
  }

  /** Starts the state of a new generation; resolves once it is rebuilt on every owned partition. */
  async addGeneration(manifest: GenerationManifest): Promise<void> {
    if (this.states.has(manifest.generation)) return;
    const newest = Math.max(...this.states.keys());
    if (manifest.generation < newest) return;
    if (manifest.epoch !== this.epoch) throw new LogMismatchError(`generation ${manifest.generation} covers log epoch ${manifest.epoch}, but this speed instance folds epoch ${this.epoch}: restart it`);
    const state = this.generationState(manifest);
    this.states.set(manifest.generation, state);
    this.options.logger.info({ generation: manifest.generation, watermark: manifest.watermark }, 'speed: rebuilding state for new generation');
    const owned = this.consumer?.assignment() ?? [];
    await Promise.all(owned.map((p) => this.queues.run(p, () => this.rebuild(state, p))));
    this.prune();
  }

  private async rebuild(state: GenerationState, partition: number): Promise<void> {
    const live = this.livePosition.get(partition);
    if (live === undefined) return; // revoked meanwhile
    const from = state.watermarkOf(partition);
    const ps = new PartitionState(partition, from, live, this.views, state.dedup);
    if (from < live) {
      for await (const chunk of this.options.log.readRange(this.topic, partition, from, live)) await this.foldRecords([ps], chunk);
    }
    ps.advanceTo(live);
    state.partitions.set(partition, ps);
  }

  private async onAssigned(partitions: number[]): Promise<Map<number, number>> {
    const ends = await this.options.log.endOffsets(this.topic);
    const starts = new Map<number, number>();
    for (const p of partitions) {
      let start = Number.POSITIVE_INFINITY;
      for (const state of this.states.values()) {
        const ps = new PartitionState(p, state.watermarkOf(p), ends[p] ?? 0, this.views, state.dedup);
        state.partitions.set(p, ps);
        start = Math.min(start, ps.fromOffset);
      }
      const from = Number.isFinite(start) ? start : 0;
      this.livePosition.set(p, from);
      starts.set(p, from);
    }
    this.options.logger.info({ partitions, starts: Object.fromEntries(starts) }, 'speed: partitions assigned');
    return starts;
  }

  private onRevoked(partitions: number[]): void {
    for (const p of partitions) {
      this.livePosition.delete(p);
      for (const state of this.states.values()) state.partitions.delete(p);
    }
    this.options.logger.info({ partitions }, 'speed: partitions revoked');
  }

  private async onBatch(batch: PartitionBatch): Promise<void> {
    const targets: PartitionState[] = [];
    for (const state of this.states.values()) {
      const ps = state.partitions.get(batch.partition);
      if (ps) targets.push(ps);
    }
    await this.foldRecords(targets, batch.records);
    for (const ps of targets) ps.highWatermark = Math.max(ps.highWatermark, batch.highWatermark);
    const last = batch.records.at(-1);
    if (last) this.livePosition.set(batch.partition, Math.max(this.livePosition.get(batch.partition) ?? 0, last.offset + 1));
    const newest = targets.at(-1);
    if (newest) this.metrics.lag.set({ instance: this.name, partition: String(batch.partition) }, Math.max(0, batch.highWatermark - newest.next));
    this.prune();
  }

  /**
   * The hot path: each record is decoded once, whatever the number of generation states it feeds.
   * Deduplicating, the lake dates of the batch's events are loaded first (once per date and
   * generation), so the fold itself stays synchronous: a query never sees half a batch.
   */
  private async foldRecords(targets: PartitionState[], records: readonly LogRecord[]): Promise<void> {
    const events: (LaminaEvent | undefined | null)[] = new Array(records.length);
    let invalid = 0;
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      // null: no target folds this offset any more.
      if (!targets.some((ps) => record.offset >= ps.next)) {
        events[i] = null;
        continue;
      }
      const result = this.validator.validateMessage(record.value);
      if (!result.ok) invalid++;
      events[i] = result.ok ? result.event : undefined;
    }
    const lakes = new Set(targets.flatMap((ps) => (ps.dedup && !ps.dedup.lake.empty ? [ps.dedup.lake] : [])));
    for (const lake of lakes) await lake.load(events.filter((e): e is LaminaEvent => e !== null && e !== undefined));
    let folded = 0;
    let duplicates = 0;
    for (let i = 0; i < records.length; i++) {
      const event = events[i];
      if (event === null) continue;
      for (const ps of targets) {
        const outcome = ps.fold(records[i]!.offset, event, records[i]!.timestamp);
        if (outcome === Folded.Counted) folded++;
        else if (outcome === Folded.Duplicate) duplicates++;
      }
    }
    // Counted per batch: labelled counter updates per record cost more than the fold itself.
    if (folded > 0) this.metrics.folded.inc({ instance: this.name }, folded);
    if (duplicates > 0) this.metrics.duplicates.inc({ instance: this.name }, duplicates);
    if (invalid > 0) this.metrics.invalid.inc({ instance: this.name }, invalid);
  }

  /** The state of a generation, deduplicating against its lake rows when configured. */
  private generationState(manifest: GenerationManifest): GenerationState {
    const window = dedupWindowOf(this.options.config);
    if (window === null) return new GenerationState(manifest.generation, manifest.watermark, undefined);
    // The newest older generation's keys: this one's lake rows extend its rows (LakeKeys shares them).
    const previous = [...this.states.values()].filter((s) => s.generation < manifest.generation).sort((a, b) => b.generation - a.generation)[0];
    return new GenerationState(manifest.generation, manifest.watermark, { window, lake: new LakeKeys(this.options.store, manifest, window, previous?.dedup?.lake) });
  }

  /**
   * Keeps the two newest generations ready on every owned partition (serving may still be loading
   * the newer one's batch views) and every newer one still building; drops the rest.
   */
  private prune(): void {
    const owned = this.consumer?.assignment() ?? [];
    const ready = [...this.states.values()].filter((s) => s.readyOn(owned)).map((s) => s.generation).sort((a, b) => b - a);
    if (ready.length > 0) this.metrics.generation.set({ instance: this.name }, ready[0]!);
    if (ready.length < 2) return;
    const keepFrom = ready[1]!;
    for (const g of [...this.states.keys()]) if (g < keepFrom) this.states.delete(g);
  }

  async status(): Promise<RealtimeStatus> {
    return {
      instance: this.name,
      generations: [...this.states.values()]
        .sort((a, b) => a.generation - b.generation)
        .map((s) => ({ generation: s.generation, partitions: [...s.partitions.values()].map((ps) => ps.coverage(s.generation)) })),
    };
  }

  async query(request: RealtimeRequest): Promise<RealtimePart> {
    const view = this.viewsByName.get(request.view);
    if (!view) throw new ValidationError(`unknown view '${request.view}' (views: ${[...this.viewsByName.keys()].join(', ')})`);
    if (request.fingerprint !== view.fingerprint) {
      throw new ValidationError(`speed instance ${this.name} folds view '${view.name}' as definition ${view.fingerprint}, the caller asks for ${request.fingerprint}: run every process with the same config`);
    }
    const state = this.states.get(request.generation);
    if (!state) return { instance: this.name, rows: [], coverage: [] };
    const coverage = [...state.partitions.values()].map((ps) => ps.coverage(state.generation));
    if (request.knownVersion !== undefined && request.knownVersion === coverageVersion(coverage)) return { instance: this.name, rows: [], coverage, unchanged: true };
    const target = new Map<string, GroupRow>();
    for (const ps of state.partitions.values()) accumulateRows(view, ps.aggregates.get(view.name)!.rows(), request.query, target);
    return { instance: this.name, rows: [...target.values()], coverage };
  }

  /** A query's part as it travels to a serving layer elsewhere (HTTP, another thread): rows in their canonical encoding. */
  async queryEncoded(request: RealtimeRequest): Promise<EncodedRealtimePart> {
    const part = await this.query(request);
    return { ...part, rows: encodeRows(this.viewsByName.get(request.view)!, part.rows) };
  }
}

