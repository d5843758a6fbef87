/**
 * Stage 3, compute: the engine counts the window's rows per raw table (for the complete-read gate and
 * the newest log time) and computes every task of the plan into local Parquet files.
 */
import { join } from 'node:path';
import { fileRowCount, type AddFile, type DedupWindow, type RawDedup, type BatchEngine, type Logger, type RawInput, type Snapshot, type ViewOutputFile } from '@lamina/shared';
import type { RunPlan, ComputeTask, ViewPlan } from './run-plan.js';
import type { LakeSnapshot } from './lake-snapshot.js';
import type { StagedFiles } from './staged-files.js';
import { dayOf, filesTouching } from './file-selection.js';

export interface RawCount {
  type: string;
  rows: number;
  /** Rows of the window dropped as later copies of an event (deduplication). */
  duplicates: number;
  maxLogTime: number | null;
}

export interface ComputedTask {
  task: ComputeTask;
  files: ViewOutputFile[];
}

export interface ComputedView {
  plan: ViewPlan;
  tasks: ComputedTask[];
}

export interface Computed {
  counts: RawCount[];
  views: ComputedView[];
}

/**
 * The task's files in groups of whole event dates, each group at most `maxRows` rows by the files'
 * row counts (or one date), so that an engine's memory can follow the largest day, not the whole
 * lake: a view's rows of an event date come from that date's raw files only.
 */
function byDays(task: ComputeTask, maxRows: number): Map<string, AddFile[]>[] {
  const days = new Map<number, { rows: number; files: Map<string, AddFile[]> }>();
  for (const [type, files] of task.files) {
    for (const f of files) {
      const day = dayOf(f);
      let entry = days.get(day);
      if (!entry) days.set(day, (entry = { rows: 0, files: new Map() }));
      entry.rows += fileRowCount(f) ?? 0;
      const list = entry.files.get(type);
      if (list) list.push(f);
      else entry.files.set(type, [f]);
    }
  }
  const groups: Map<string, AddFile[]>[] = [];
  let current: Map<string, AddFile[]> | undefined;
  let rows = 0;
  for (const [, entry] of [...days].sort((a, b) => a[0] - b[0])) {
    if (!current || rows + entry.rows > maxRows) {
      current = new Map();
      groups.push(current);
      rows = 0;
    }
    for (const [type, files] of entry.files) current.set(type, [...(current.get(type) ?? []), ...files]);
    rows += entry.rows;
  }
  return groups;
}

/** Engine calls done of the run's total (raw scans, then view tasks by groups of dates), and view rows written so far. */
export type ComputeProgress = (done: number, total: number, rows: number) => void;

export async function computeViews(engine: BatchEngine, plan: RunPlan, snapshot: LakeSnapshot, staged: StagedFiles, outputDir: string, logger: Logger, dedup: DedupWindow | null, onProgress: ComputeProgress = () => {}): Promise<Computed> {
  const counts: RawCount[] = [];
  // Each task's queries: groups of whole dates (counted up front for the progress total).
  const groups = plan.views.map((v) => v.tasks.map((t) => byDays(t, engine.maxRowsPerQuery)));
  const total = snapshot.raw.size + groups.flat().reduce((n, g) => n + g.length, 0);
  let done = 0;
  let written = 0;
  onProgress(0, total, 0);
  const copies = new Map<string, string>();
  for (const [type, raw] of snapshot.raw) {
    const files = filesTouching(raw.files, plan.window);
    let rawDedup: RawDedup | undefined;
    if (dedup !== null) {
      // Copies are ranked over whole dates of the coverage: every file of the window's dates.
      const days = new Set(files.map(dayOf));
      rawDedup = { window: dedup, scope: plan.coverage, input: await rawInput(type, raw, filesTouching(raw.files, plan.coverage).filter((f) => days.has(dayOf(f))), staged) };
    }
    const scan = await engine.scanRaw(await rawInput(type, raw, files, staged), plan.window, rawDedup);
    counts.push({ type, rows: scan.rows, duplicates: scan.duplicates, maxLogTime: scan.maxLogTime });
    if (scan.copies) copies.set(type, scan.copies);
    onProgress(++done, total, written);
  }
  const runWindow = JSON.stringify(plan.window);
  const views: ComputedView[] = [];
  for (const [v, viewPlan] of plan.views.entries()) {
    const tasks: ComputedTask[] = [];
    for (const [i, task] of viewPlan.tasks.entries()) {
      const started = Date.now();
      const files: ViewOutputFile[] = [];
      let rawFiles = 0;
      for (const [j, group] of groups[v]![i]!.entries()) {
        const inputs = await Promise.all(viewPlan.view.sources.map((type) => rawInput(type, snapshot.raw.get(type)!, group.get(type) ?? [], staged)));
        rawFiles += inputs.reduce((n, x) => n + x.files.length, 0);
        // The scan found the copies among the run's window: a task over that window reuses them.
        const found = JSON.stringify(task.windows) === runWindow ? viewPlan.view.sources.map((type) => copies.get(type)) : undefined;
        const out = await engine.computeView({ view: viewPlan.view, inputs, windows: task.windows, ...(viewPlan.view.deduplication === null ? {} : { dedupScope: plan.coverage, ...(found ? { copies: found } : {}) }), outputDir: join(outputDir, `${viewPlan.view.name}-${viewPlan.grain}`, `${i}-${j}`) });
        files.push(...out);
        written += out.reduce((n, f) => n + f.rows, 0);
        onProgress(++done, total, written);
      }
      const rows = files.reduce((sum, f) => sum + f.rows, 0);
      logger.info({ view: viewPlan.view.name, grain: viewPlan.grain, task: task.kind, days: task.days.length, rawFiles, rows, ms: Date.now() - started }, 'batch: view computed');
      tasks.push({ task, files });
    }
    views.push({ plan: viewPlan, tasks });
  }
  return { counts, views };
}

export async function rawInput(type: string, snapshot: Snapshot, files: readonly AddFile[], staged: StagedFiles): Promise<RawInput> {
  const columns = new Map(snapshot.fields.filter((f) => !snapshot.partitionColumns.includes(f.name)).map((f) => [f.name, f.type as string]));
  return { eventType: type, files: await staged.paths(snapshot.tablePath, files), columns };
}
