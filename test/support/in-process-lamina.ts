/**
 * Every layer wired in one process with explicit control over flushes, batch runs and restarts,
 * for tests that drive interleavings the embedded entry point would hide behind timers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Archiver, BatchJob, type BatchRunOptions } from '@lamina/batch-layer';
import { SpeedLayer } from '@lamina/speed-layer';
import { ServingLayer } from '@lamina/serving-layer';
import {
  EmbeddedEventLog,
  LocalObjectStore,
  createRegistry,
  silentLogger,
  type EventLog,
  type LaminaConfig,
  type ObjectStore,
  type RealtimePart,
  type RealtimeRequest,
  type RealtimeSource,
  type RealtimeStatus,
  type Registry,
} from '@lamina/shared';

/** Lets a test replace the speed layer (restart) under a serving layer that keeps its reference. */
class SwappableSource implements RealtimeSource {
  readonly name = 'swappable';
  constructor(public target: SpeedLayer) {}
  status(): Promise<RealtimeStatus> {
    return this.target.status();
  }
  query(request: RealtimeRequest): Promise<RealtimePart> {
    return this.target.query(request);
  }
}

interface Layers {
  config: LaminaConfig;
  registry: Registry;
  archiver: Archiver;
  batch: BatchJob;
  source: SwappableSource;
  serving: ServingLayer;
}

export class InProcessLamina {
  private constructor(
    readonly dir: string,
    readonly log: EventLog,
    readonly store: ObjectStore,
    private layers: Layers,
    private readonly groups: { archiver: string; speed: string },
  ) {}

  /** `groupSuffix` keeps the consumer groups of runs sharing one Kafka cluster apart. */
  static async start(config: LaminaConfig, options: { dir?: string; log?: EventLog; store?: ObjectStore; groupSuffix?: string } = {}): Promise<InProcessLamina> {
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'lamina-test-')));
    const log = options.log ?? (await EmbeddedEventLog.open({ dir: join(dir, 'log'), fsync: false }));
    const store = options.store ?? new LocalObjectStore({ root: join(dir, 'lake') });
    const groups = { archiver: `lamina-archiver${options.groupSuffix ?? ''}`, speed: `lamina-speed${options.groupSuffix ?? ''}` };
    try {
      const layers = await InProcessLamina.startLayers(config, dir, log, store, groups);
      return new InProcessLamina(dir, log, store, layers, groups);
    } catch (error) {
      // A config the lake refuses (schema registry): release the log so the next start can open it.
      if (!options.log) await log.close();
      throw error;
    }
  }

  private static async startLayers(config: LaminaConfig, dir: string, log: EventLog, store: ObjectStore, groups: { archiver: string; speed: string }): Promise<Layers> {
    const registry = createRegistry();
    await log.ensureTopic(config.topic, config.partitions);
    const archiver = new Archiver({ config, log, store, logger: silentLogger, registry, groupId: groups.archiver });
    await archiver.start();
    const batch = new BatchJob({ config, store, logger: silentLogger, registry, scratchDir: join(dir, 'scratch') });
    const speed = InProcessLamina.newSpeed(config, log, store, groups.speed);
    await speed.start();
    const source = new SwappableSource(speed);
    const serving = new ServingLayer({ config, log, store, realtime: [source], logger: silentLogger, registry, generationPollMs: 0 });
    await serving.generations.refresh();
    return { config, registry, archiver, batch, source, serving };
  }

  /** Stops every layer (gracefully) and starts them again with `config`, on the same log and lake: a deployment. */
  async restart(config: LaminaConfig): Promise<void> {
    await this.stopLayers();
    this.layers = await InProcessLamina.startLayers(config, this.dir, this.log, this.store, this.groups);
  }

  get config(): LaminaConfig {
    return this.layers.config;
  }

  /** The metrics of the layers (the speed layer's are its own). */
  get registry(): Registry {
    return this.layers.registry;
  }

  get archiver(): Archiver {
    return this.layers.archiver;
  }

  get batch(): BatchJob {
    return this.layers.batch;
  }

  get serving(): ServingLayer {
    return this.layers.serving;
  }

  private get source(): SwappableSource {
    return this.layers.source;
  }

  /** The metrics registry of each speed layer started, keyed by it (a restarted one gets a new registry). */
  private static readonly speedRegistries = new WeakMap<SpeedLayer, Registry>();

  private static newSpeed(config: LaminaConfig, log: EventLog, store: ObjectStore, groupId: string): SpeedLayer {
    const registry = createRegistry();
    const speed = new SpeedLayer({ config, log, store, logger: silentLogger, registry, instance: 'test', generationPollMs: 0, groupId });
    InProcessLamina.speedRegistries.set(speed, registry);
    return speed;
  }

  /** The current speed layer's metrics (its own registry: a restart starts them again). */
  speedMetrics(): Promise<string> {
    return InProcessLamina.speedRegistries.get(this.speed)!.metrics();
  }

  get speed(): SpeedLayer {
    return this.source.target;
  }

  /** Runs a batch and lets the speed and serving layers pick the generation up. */
  async runBatch(options: BatchRunOptions = {}) {
    const manifest = await this.batch.run(options);
    await this.speed.addGeneration(manifest);
    await this.serving.generations.refresh();
    return manifest;
  }

  async restartSpeed(): Promise<void> {
    await this.speed.stop();
    const speed = InProcessLamina.newSpeed(this.config, this.log, this.store, this.groups.speed);
    await speed.start();
    this.source.target = speed;
  }

  /** Stops the archiver without its final flush (as a crash would), then starts a new one. */
  async crashArchiver(): Promise<void> {
    await this.archiver.stop({ flush: false });
    this.layers.archiver = new Archiver({ config: this.config, log: this.log, store: this.store, logger: silentLogger, registry: createRegistry(), groupId: this.groups.archiver });
    await this.layers.archiver.start();
  }

  /** Waits until the realtime state of every tracked generation has folded the whole log. */
  async waitForRealtime(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ends = await this.log.endOffsets(this.config.topic);
      const status = await this.speed.status();
      const newest = status.generations.at(-1);
      const caughtUp = newest !== undefined && ends.every((end, p) => newest.partitions.some((c) => c.partition === p && c.toOffset >= end));
      if (caughtUp) return;
      if (Date.now() > deadline) throw new Error(`speed layer did not catch up within ${timeoutMs} ms: ends ${ends}, status ${JSON.stringify(status)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private async stopLayers(): Promise<void> {
    await this.serving.stop();
    await this.speed.stop();
    await this.archiver.stop();
  }

  async stop(options: { removeDir?: boolean } = {}): Promise<void> {
    await this.stopLayers();
    await this.log.close();
    if (options.removeDir !== false) await rm(this.dir, { recursive: true, force: true });
  }
}
