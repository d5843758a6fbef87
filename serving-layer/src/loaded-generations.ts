/**
 * Batch views of the generations the serving layer can answer from, loaded into memory and sorted
 * by bucket. Keeps the two newest: the speed layer may still be rebuilding the newest one. A view
 * whose definition differs from the generation's table (added or changed since) is not loaded: the
 * generation has no batch part for it (see `incompleteViews`).
 */
import {
  compileViews,
  coversEvents,
  genesisManifest,
  readViewRows,
  type CompiledView,
  type GenerationManifest,
  type GenerationStore,
  type GroupRow,
  type LaminaConfig,
  type Logger,
  type ObjectStore,
} from '@lamina/shared';

export interface LoadedGeneration {
  manifest: GenerationManifest;
  views: Map<string, GroupRow[]>;
  /** Views of the config this generation has no batch part for, although it covers events. */
  incomplete: ReadonlySet<string>;
}

export class LoadedGenerations {
  private readonly loaded = new Map<number, LoadedGeneration>();
  private loading: Promise<void> | undefined;
  readonly views: CompiledView[];

  constructor(
    config: LaminaConfig,
    private readonly store: ObjectStore,
    private readonly generations: GenerationStore,
    private readonly logger: Logger,
  ) {
    this.views = compileViews(config);
    this.loaded.set(0, { manifest: genesisManifest(config.topic, config.partitions), views: new Map(this.views.map((v) => [v.name, []])), incomplete: new Set() });
  }

  /** Newest first. */
  list(): LoadedGeneration[] {
    return [...this.loaded.values()].sort((a, b) => b.manifest.generation - a.manifest.generation);
  }

  get(generation: number): LoadedGeneration | undefined {
    return this.loaded.get(generation);
  }

  /** Loads the newest published generation if it is not loaded yet (one load at a time). */
  refresh(): Promise<void> {
    this.loading ??= this.loadLatest().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async loadLatest(): Promise<void> {
    const newest = await this.generations.latestNumber();
    if (newest === 0 || this.loaded.has(newest)) return;
    const manifest = await this.generations.get(newest);
    const started = Date.now();
    const views = new Map<string, GroupRow[]>();
    const incomplete = new Set<string>();
    for (const view of this.views) {
      const ref = manifest.views[view.name];
      if (ref?.fingerprint === view.fingerprint) {
        const rows = await readViewRows(this.store, ref, view);
        rows.sort((a, b) => a.bucket - b.bucket);
        views.set(view.name, rows);
      } else {
        views.set(view.name, []);
        if (coversEvents(manifest)) incomplete.add(view.name);
      }
    }
    this.loaded.set(manifest.generation, { manifest, views, incomplete });
    const keep = this.list().slice(0, 2).map((g) => g.manifest.generation);
    for (const g of [...this.loaded.keys()]) if (!keep.includes(g)) this.loaded.delete(g);
    if (incomplete.size > 0) this.logger.warn({ generation: manifest.generation, views: [...incomplete] }, 'serving: these views are newer than the generation\'s batch views; they answer VIEW_INCOMPLETE until a batch run computes them');
    this.logger.info({ generation: manifest.generation, ms: Date.now() - started }, 'serving: batch views loaded');
  }
}

/** Rows whose bucket may fall in [from, to): a binary search on the bucket-sorted rows. */
export function rowsInRange(rows: GroupRow[], from: number | undefined, to: number | undefined): GroupRow[] {
  const lower = (value: number) => {
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rows[mid]!.bucket < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const start = from === undefined ? 0 : lower(from);
  const end = to === undefined ? rows.length : lower(to);
  return start === 0 && end === rows.length ? rows : rows.slice(start, end);
}
