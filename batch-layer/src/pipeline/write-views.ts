/**
 * Stage 5, write: each computed view becomes a version of its view table. The version is built from
 * the previous generation's version (not the table's newest, which an unpublished run may have
 * changed): its files, minus the dates this run rewrote, plus the files it computed. The commit
 * removes and re-adds whatever differs in the newest version, under the lake's one commit policy.
 */
import { readFile } from 'node:fs/promises';
import {
  DeltaTable,
  VIEW_PARTITION_COLUMNS,
  commitWithRetry,
  fileRowCount,
  putParquetFile,
  removeAction,
  viewTableSchema,
  type Action,
  type AddFile,
  type ObjectStore,
  type ViewTableRef,
} from '@lamina/shared';
import type { ComputedView } from './compute-views.js';
import { isoDay } from './file-selection.js';

export async function writeView(store: ObjectStore, computed: ComputedView, generation: number): Promise<Omit<ViewTableRef, 'rollups'>> {
  const { plan } = computed;
  const newFiles = computed.tasks.flatMap((t) => t.files);
  if (plan.base && newFiles.length === 0 && computed.tasks.every((t) => t.task.kind === 'delta')) return plan.base;
  const table = DeltaTable.open(store, plan.table);
  const layout = await table.ensureSchema(viewTableSchema(plan.view), { partitionColumns: VIEW_PARTITION_COLUMNS, description: `Lamina view ${plan.view.name} (${plan.view.fingerprint})` });
  const adds: AddFile[] = [];
  try {
    for (const file of newFiles) {
      const stats = { numRecords: file.rows, minValues: {}, maxValues: {}, nullCount: {} };
      adds.push(await putParquetFile(store, layout, await readFile(file.path), { _date: isoDay(file.day) }, stats));
    }
    const rewritten = new Set(computed.tasks.filter((t) => t.task.kind === 'rewrite').flatMap((t) => t.task.days));
    const keep = plan.base ? [...plan.baseFiles].filter(([day]) => !rewritten.has(day)).flatMap(([, files]) => files) : [];
    const wanted = new Map([...keep, ...adds].map((f) => [f.path, f]));
    const result = await commitWithRetry(table, async (snapshot) => {
      const now = Date.now();
      const live = new Set(snapshot.files.map((f) => f.path));
      const actions: Action[] = [
        ...snapshot.files.filter((f) => !wanted.has(f.path)).map((f) => removeAction(f, now)),
        ...[...wanted.values()].filter((f) => !live.has(f.path)).map((add) => ({ add })),
      ];
      // The uploaded files are reused by every attempt: nothing to discard on a lost race.
      return { actions, files: [], value: undefined, options: { operation: 'WRITE', operationParameters: { mode: plan.base ? 'LaminaIncremental' : 'Overwrite', generation: String(generation) } } };
    });
    return { table: plan.table, version: result.version!, fingerprint: plan.view.fingerprint, rows: [...wanted.values()].reduce((n, f) => n + (fileRowCount(f) ?? 0), 0) };
  } catch (error) {
    await table.discardDataFiles(adds);
    throw error;
  }
}
