/**
 * Compaction of a raw table (Delta's OPTIMIZE): the archiver commits a small file per event date
 * every flush, so a table gathers thousands a day. This rewrites the small files of each date into
 * one file, in one commit whose actions are `dataChange: false` — the rows, and so every view, stay
 * exactly the same; only reads get cheaper.
 *
 * The offset-range tags of the inputs carry over to the output. Ranges entirely below `coalesceBelow`
 * (the newest published watermark) are merged into one range per partition: no future incremental
 * run needs them apart, and the tag stays short.
 */
import * as arrow from 'apache-arrow';
import {
  ConflictError,
  RANGES_TAG,
  commitWithRetry,
  fileRowCount,
  formatRanges,
  rangesOf,
  removeAction,
  type Action,
  type AddFile,
  type DeltaTable,
  type Logger,
  type OffsetRange,
  type RemoveFile,
} from '@lamina/shared';

export interface CompactionOptions {
  /** Files with fewer rows than this are small (default 125,000). */
  smallRows?: number;
  /** Compact a date only when it has at least this many small files (default 8). */
  minFiles?: number;
  /** Watermark (epoch 0) below which offset ranges may be merged. */
  coalesceBelow?: readonly number[];
  logger?: Logger;
}

export interface CompactionResult {
  filesRemoved: number;
  filesAdded: number;
  rows: number;
  version: number | null;
}

/** A `remove` that only rearranges rows: readers of changes (CDF, streaming) skip it. */
function rearranged(file: AddFile, now: number): Action {
  const { remove } = removeAction(file, now) as { remove: RemoveFile };
  return { remove: { ...remove, dataChange: false } };
}

function mergedRanges(files: readonly AddFile[], below: readonly number[]): OffsetRange[] | undefined {
  const all: OffsetRange[] = [];
  for (const f of files) {
    const ranges = rangesOf(f);
    if (ranges === undefined) return undefined;
    all.push(...ranges);
  }
  const kept: OffsetRange[] = [];
  const merged = new Map<string, OffsetRange>();
  for (const r of all) {
    if (r.epoch !== 0 || r.to > (below[r.partition] ?? 0)) {
      kept.push(r);
      continue;
    }
    const key = `${r.epoch}:${r.partition}`;
    const m = merged.get(key);
    merged.set(key, m ? { ...m, from: Math.min(m.from, r.from), to: Math.max(m.to, r.to), rows: m.rows + r.rows } : { ...r });
  }
  return [...merged.values(), ...kept].sort((a, b) => a.epoch - b.epoch || a.partition - b.partition || a.from - b.from);
}

export async function compactTable(table: DeltaTable, options: CompactionOptions = {}): Promise<CompactionResult> {
  const smallRows = options.smallRows ?? 125_000;
  const minFiles = options.minFiles ?? 8;
  const snapshot = await table.snapshot();
  const groups = new Map<string, AddFile[]>();
  for (const f of snapshot.files) {
    if ((fileRowCount(f) ?? 0) >= smallRows) continue;
    const key = JSON.stringify(snapshot.partitionColumns.map((c) => f.partitionValues[c] ?? null));
    const list = groups.get(key);
    if (list) list.push(f);
    else groups.set(key, [f]);
  }
  const chosen = [...groups.values()].filter((files) => files.length >= minFiles);
  if (chosen.length === 0) return { filesRemoved: 0, filesAdded: 0, rows: 0, version: null };

  const outputs: AddFile[] = [];
  let rows = 0;
  try {
    for (const files of chosen) {
      const batches: arrow.RecordBatch[] = [];
      for (const file of files) batches.push(...(await table.readDataFile(file, { snapshot })).batches);
      const merged = new arrow.Table(snapshot.schema, batches);
      rows += merged.numRows;
      const ranges = mergedRanges(files, options.coalesceBelow ?? []);
      outputs.push(await table.writeDataFile(merged, { snapshot, dataChange: false, ...(ranges ? { tags: { [RANGES_TAG]: formatRanges(ranges) } } : {}) }));
    }
    const replaced = chosen.flat();
    const result = await commitWithRetry(table, async (current) => {
      // Appends committed meanwhile (the archiver) do not touch the files being replaced; a removal does.
      const live = new Set(current.files.map((f) => f.path));
      if (!replaced.every((f) => live.has(f.path))) throw new ConflictError(`compaction of ${table.tablePath} lost a race: another writer removed some of its files; run it again`);
      const now = Date.now();
      return { actions: [...replaced.map((f) => rearranged(f, now)), ...outputs.map((add) => ({ add }))], files: [], value: undefined, options: { operation: 'OPTIMIZE' } };
    });
    options.logger?.info({ table: table.tablePath, filesRemoved: replaced.length, filesAdded: outputs.length, rows, version: result.version }, 'compaction committed');
    return { filesRemoved: replaced.length, filesAdded: outputs.length, rows, version: result.version };
  } catch (error) {
    // Nothing references the rewritten files: remove them so no orphan is left behind.
    await table.discardDataFiles(outputs);
    throw error;
  }
}
