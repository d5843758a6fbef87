/**
 * Stage 3, compute: the engine counts the window's rows per raw table (for the complete-read gate and
 * the newest log time) and computes every task of the plan into local Parquet files.
 */
import { join } from 'node:path';
import type { AddFile, BatchEngine, Logger, RawInput, Snapshot, ViewOutputFile } from '@lamina/shared';
import type { RunPlan, ComputeTask, ViewPlan } from './run-plan.js';
import type { LakeSnapshot } from './lake-snapshot.js';
import type { StagedFiles } from './staged-files.js';
import { filesTouching } from './file-selection.js';

export interface RawCount {
  type: string;
  rows: number;
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

export async function computeViews(engine: BatchEngine, plan: RunPlan, snapshot: LakeSnapshot, staged: StagedFiles, outputDir: string, logger: Logger): Promise<Computed> {
  const counts: RawCount[] = [];
  for (const [type, raw] of snapshot.raw) {
    const files = filesTouching(raw.files, plan.window);
    const scan = await engine.scanRaw(await rawInput(type, raw, files, staged), [plan.window]);
    counts.push({ type, ...scan });
  }
  const views: ComputedView[] = [];
  for (const viewPlan of plan.views) {
    const tasks: ComputedTask[] = [];
    for (const [i, task] of viewPlan.tasks.entries()) {
      const started = Date.now();
      const inputs = await Promise.all(viewPlan.view.sources.map((type) => rawInput(type, snapshot.raw.get(type)!, task.files.get(type) ?? [], staged)));
      const files = await engine.computeView({ view: viewPlan.view, inputs, windows: task.windows, days: task.days, outputDir: join(outputDir, viewPlan.view.name, String(i)) });
      const rows = files.reduce((sum, f) => sum + f.rows, 0);
      logger.info({ view: viewPlan.view.name, task: task.kind, days: task.days.length, rawFiles: inputs.reduce((n, x) => n + x.files.length, 0), rows, ms: Date.now() - started }, 'batch: view computed');
      tasks.push({ task, files });
    }
    views.push({ plan: viewPlan, tasks });
  }
  return { counts, views };
}

async function rawInput(type: string, snapshot: Snapshot, files: readonly AddFile[], staged: StagedFiles): Promise<RawInput> {
  const columns = new Map(snapshot.fields.filter((f) => !snapshot.partitionColumns.includes(f.name)).map((f) => [f.name, f.type as string]));
  return { eventType: type, files: await staged.localPaths(snapshot.tablePath, files), columns };
}
