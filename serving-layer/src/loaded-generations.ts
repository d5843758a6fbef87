/**
 * The generations the serving layer can answer from: their manifests and, per view, the Delta
 * snapshots of its tables (its own grain and the roll-ups) — no rows. Rows are read on demand, a
 * data file at a time, into the chunk cache (store/). So a new generation is served as soon as its
 * snapshots are read (a few small objects), and memory follows what queries touch, within a budget.
 *
 * Keeps the two newest: the speed layer may still be rebuilding the newest one. A view whose
 * definition differs from the generation's table (added or changed since) has no batch part in that
 * generation (see `incomplete`).
 */
import {
  DeltaTable,
  compileViews,
  coversEvents,
  genesisManifest,
  readDataFile,
  type AddFile,
  type CompiledView,
  type GenerationManifest,
  type GenerationStore,
  type LaminaConfig,
  type Logger,
  type ObjectStore,
  type RollUp,
  type Snapshot,
  type ViewTableRef,
} from '@lamina/shared';
import { ChunkCache } from './store/chunk-cache.js';
import type { Dictionaries } from './store/dimension-dictionary.js';
import { ViewChunk } from './store/view-chunk.js';

const DAY_MS = 86_400_000;

/** One stored grain of a view in one generation: its snapshot, and its data files by UTC date. */
export interface GrainTable {
  granularity: RollUp;
  table: string;
  version: number;
  snapshot: Snapshot;
  /** Epoch day -> the data files of that `_date` partition. */
  filesByDay: Map<number, AddFile[]>;
}

export interface LoadedGeneration {
  manifest: GenerationManifest;
  /** Per view: its own grain first, then its roll-ups (coarser). Empty for views without a batch part. */
  tables: Map<string, GrainTable[]>;
  /** Views of the config this generation has no batch part for, although it covers events. */
  incomplete: ReadonlySet<string>;
}

export class LoadedGenerations {
  private readonly loaded = new Map<number, LoadedGeneration>();
  private loading: Promise<void> | undefined;
  private readonly deltaTables = new Map<string, DeltaTable>();
  /** Run on a generation after its snapshots are read and before queries see it (see QueryService.warm). */
  private readonly warmUps: ((generation: LoadedGeneration) => Promise<void>)[] = [];
  readonly views: CompiledView[];

  constructor(
    config: LaminaConfig,
    private readonly store: ObjectStore,
    private readonly generations: GenerationStore,
    private readonly logger: Logger,
    private readonly chunks: ChunkCache,
    private readonly dictionaries: Dictionaries,
  ) {
    this.views = compileViews(config);
    this.loaded.set(0, { manifest: genesisManifest(config.topic, config.partitions), tables: new Map(), incomplete: new Set() });
  }

  /** Newest first. */
  list(): LoadedGeneration[] {
    return [...this.loaded.values()].sort((a, b) => b.manifest.generation - a.manifest.generation);
  }

  get(generation: number): LoadedGeneration | undefined {
    return this.loaded.get(generation);
  }

  /** Work to do on each new generation before it is served (a failure is logged, not fatal). */
  onBeforeServing(warmUp: (generation: LoadedGeneration) => Promise<void>): void {
    this.warmUps.push(warmUp);
  }

  /** Loads the newest published generation if it is not loaded yet (one load at a time). */
  refresh(): Promise<void> {
    this.loading ??= this.loadLatest().finally(() => (this.loading = undefined));
    return this.loading;
  }

  /** The chunks of a grain table whose dates overlap [from, to), read into memory as needed. */
  async chunksOf(view: CompiledView, table: GrainTable, from: number | undefined, to: number | undefined): Promise<ViewChunk[]> {
    const days = [...table.filesByDay.keys()].filter((day) => (from === undefined || (day + 1) * DAY_MS > from) && (to === undefined || day * DAY_MS < to)).sort((a, b) => a - b);
    const files = days.flatMap((day) => table.filesByDay.get(day)!);
    return Promise.all(
      files.map((file) =>
        this.chunks.get(`${table.table}/${file.path}`, async () => ViewChunk.fromArrow(view, await readDataFile(this.store, table.snapshot, file), this.dictionaries)),
      ),
    );
  }

  private async loadLatest(): Promise<void> {
    const newest = await this.generations.latestNumber();
    if (newest === 0 || this.loaded.has(newest)) return;
    const manifest = await this.generations.get(newest);
    const started = Date.now();
    const tables = new Map<string, GrainTable[]>();
    const incomplete = new Set<string>();
    for (const view of this.views) {
      const ref = manifest.views[view.name];
      if (ref?.fingerprint !== view.fingerprint) {
        if (coversEvents(manifest)) incomplete.add(view.name);
        continue;
      }
      const grains: [RollUp, Omit<ViewTableRef, 'rollups'>][] = [[view.granularity, ref], ...Object.entries(ref.rollups ?? {}).map(([g, r]) => [g as RollUp, r] as [RollUp, Omit<ViewTableRef, 'rollups'>])];
      tables.set(view.name, await Promise.all(grains.map(([granularity, r]) => this.grainTable(granularity, r))));
    }
    const loaded: LoadedGeneration = { manifest, tables, incomplete };
    const read = Date.now();
    for (const warmUp of this.warmUps) {
      await warmUp(loaded).catch((error: unknown) => this.logger.warn({ err: error, generation: manifest.generation }, 'serving: warming the new generation failed; its first queries compute in full'));
    }
    const warmMs = Date.now() - read;
    this.loaded.set(manifest.generation, loaded);
    const keep = this.list().slice(0, 2).map((g) => g.manifest.generation);
    for (const g of [...this.loaded.keys()]) if (!keep.includes(g)) this.loaded.delete(g);
    if (incomplete.size > 0) this.logger.warn({ generation: manifest.generation, views: [...incomplete] }, 'serving: these views are newer than the generation\'s batch views; they answer VIEW_INCOMPLETE until a batch run computes them');
    this.logger.info({ generation: manifest.generation, ms: Date.now() - started, warmMs }, 'serving: generation loaded');
  }

  private async grainTable(granularity: RollUp, ref: Omit<ViewTableRef, 'rollups'>): Promise<GrainTable> {
    let table = this.deltaTables.get(ref.table);
    if (!table) this.deltaTables.set(ref.table, (table = DeltaTable.open(this.store, ref.table)));
    const snapshot = await table.snapshot(ref.version);
    const filesByDay = new Map<number, AddFile[]>();
    for (const file of snapshot.files) {
      const day = Date.parse(`${file.partitionValues._date}T00:00:00Z`) / DAY_MS;
      const list = filesByDay.get(day);
      if (list) list.push(file);
      else filesByDay.set(day, [file]);
    }
    return { granularity, table: ref.table, version: ref.version, snapshot, filesByDay };
  }
}
