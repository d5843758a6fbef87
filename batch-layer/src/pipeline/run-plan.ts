/**
 * Stage 2, plan: what this run computes. A run is incremental when the previous generation is of the
 * same log epoch and no full run was asked for: it counts the offsets [W_p(prev), W_p) and, per view
 * whose definition is unchanged, computes only the event dates those offsets touch — as a delta
 * appended to the date, or as a rewrite of the date from all its raw events once the date holds
 * `maxDeltaFilesPerDate` files. A new or changed view (new fingerprint), or `--full`, computes the
 * whole view from [0, W_p). Views no new event touches carry their table version over as it is.
 * Every view is planned with its roll-ups (the same view at hour and day grains), alike.
 */
import {
  DeltaTable,
  compileViews,
  lakeLayout,
  rollUpGrains,
  rollUpOf,
  type RollUpGrain,
  type AddFile,
  type CompiledView,
  type GenerationManifest,
  type LaminaConfig,
  type ObjectStore,
  type OffsetWindow,
  type ViewTableRef,
} from '@lamina/shared';
import { dayOf, filesTouching } from './file-selection.js';
import type { LakeSnapshot } from './lake-snapshot.js';

/** One engine call: rows of `windows` from `files`, written as rows of the view. */
export interface ComputeTask {
  kind: 'full' | 'delta' | 'rewrite';
  windows: OffsetWindow[];
  /** Raw files to read, per source event type. */
  files: Map<string, AddFile[]>;
  /** For delta and rewrite: the event dates (epoch days) computed. */
  days: number[];
}

export interface ViewPlan {
  /** The view, or one of its roll-ups (its `granularity` then says which grain). */
  view: CompiledView;
  /** 'finest' for the view as declared, else the roll-up grain. */
  grain: 'finest' | RollUpGrain;
  /** The view table of this definition. */
  table: string;
  /** The previous generation's version of that table, when there is one (incremental base). */
  base: Omit<ViewTableRef, 'rollups'> | undefined;
  /** Files of the base version, by epoch day. */
  baseFiles: Map<number, AddFile[]>;
  tasks: ComputeTask[];
}

export interface RunPlan {
  generation: number;
  previous: GenerationManifest | undefined;
  mode: 'full' | 'incremental';
  /** Offsets the run counts anew: [W_p(prev), W_p) when incremental, all of `coverage` when full. */
  window: OffsetWindow[];
  /** Everything the generation covers: [0, W_p) of the current epoch, and every sealed epoch up to its frontier. */
  coverage: OffsetWindow[];
  views: ViewPlan[];
}

export interface PlanOptions {
  /** Recompute every view from the whole lake (`lamina batch run --full`). */
  full?: boolean;
  maxDeltaFilesPerDate: number;
}

export async function planRun(store: ObjectStore, config: LaminaConfig, snapshot: LakeSnapshot, previous: GenerationManifest | undefined, options: PlanOptions): Promise<RunPlan> {
  const incremental = previous !== undefined && previous.epoch === snapshot.epoch && options.full !== true;
  const coverage: OffsetWindow[] = [
    ...snapshot.sealed.map((s) => ({ epoch: s.epoch, from: s.frontier.map(() => 0), to: s.frontier })),
    { epoch: snapshot.epoch, from: snapshot.watermark.map(() => 0), to: snapshot.watermark },
  ];
  const window: OffsetWindow[] = incremental ? [{ epoch: snapshot.epoch, from: snapshot.watermark.map((_, p) => previous.watermark[p] ?? 0), to: snapshot.watermark }] : coverage;
  const views: ViewPlan[] = [];
  const variants = compileViews(config).flatMap((v) => [{ view: v, grain: 'finest' as const }, ...rollUpGrains(v).map((grain) => ({ view: rollUpOf(v, grain), grain }))]);
  for (const { view, grain } of variants) {
    const table = lakeLayout.viewTable(view.name, view.fingerprint);
    const declared = previous?.views[view.name];
    const previousRef = grain === 'finest' ? declared : declared?.rollups?.[grain];
    const base = incremental && previousRef?.fingerprint === view.fingerprint && previousRef.table === table ? previousRef : undefined;
    const rawFiles = (type: string, w: OffsetWindow[], days?: ReadonlySet<number>) =>
      filesTouching(snapshot.raw.get(type)?.files ?? [], w).filter((f) => days === undefined || days.has(dayOf(f)));
    if (!base) {
      const files = new Map(view.sources.map((type) => [type, rawFiles(type, coverage)]));
      views.push({ view, grain, table, base: undefined, baseFiles: new Map(), tasks: [{ kind: 'full', windows: coverage, files, days: [] }] });
      continue;
    }
    const baseFiles = groupByDay((await DeltaTable.open(store, table).snapshot(base.version)).files);
    const touched = new Set(view.sources.flatMap((type) => rawFiles(type, window).map(dayOf)));
    const rewrite = [...touched].filter((day) => (baseFiles.get(day)?.length ?? 0) + 1 > options.maxDeltaFilesPerDate).sort((a, b) => a - b);
    const delta = [...touched].filter((day) => !rewrite.includes(day)).sort((a, b) => a - b);
    const tasks: ComputeTask[] = [];
    if (delta.length > 0) {
      // Deduplicating, its copies are the ones the raw scan found among the window's rows (compute-views.ts).
      tasks.push({ kind: 'delta', windows: window, days: delta, files: new Map(view.sources.map((type) => [type, rawFiles(type, window, new Set(delta))])) });
    }
    if (rewrite.length > 0) {
      tasks.push({ kind: 'rewrite', windows: coverage, days: rewrite, files: new Map(view.sources.map((type) => [type, rawFiles(type, coverage, new Set(rewrite))])) });
    }
    views.push({ view, grain, table, base, baseFiles, tasks });
  }
  return { generation: (previous?.generation ?? 0) + 1, previous, mode: incremental ? 'incremental' : 'full', window, coverage, views };
}

function groupByDay(files: readonly AddFile[]): Map<number, AddFile[]> {
  const out = new Map<number, AddFile[]>();
  for (const f of files) {
    const day = dayOf(f);
    const list = out.get(day);
    if (list) list.push(f);
    else out.set(day, [f]);
  }
  return out;
}
