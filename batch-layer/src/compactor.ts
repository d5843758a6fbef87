/**
 * Compaction of an append-only Delta table (Delta's OPTIMIZE): the archiver commits a small file
 * every flush, so the raw table gathers thousands of them a day. This rewrites runs of small files
 * into few large ones in one commit whose actions are `dataChange: false` — the rows, and so every
 * view, stay exactly the same; only reads get cheaper.
 */
import * as arrow from 'apache-arrow';
import { ConflictError, DeltaTable, fileRowCount, removeAction, type Action, type AddFile, type Logger, type RemoveFile } from '@lamina/shared';

export interface CompactionOptions {
  /** Rows per rewritten file (default 250,000). Files with at least half of it are left alone. */
  targetRows?: number;
  /** Do nothing unless at least this many small files exist (default 8). */
  minFiles?: number;
  logger?: Logger;
}

export interface CompactionResult {
  filesRemoved: number;
  filesAdded: number;
  rows: number;
  version: number | null;
}

const MAX_ATTEMPTS = 10;

/** A `remove` that only rearranges rows: readers of changes (CDF, streaming) skip it. */
function rearranged(file: AddFile, now: number): Action {
  const { remove } = removeAction(file, now) as { remove: RemoveFile };
  return { remove: { ...remove, dataChange: false } };
}

export async function compactTable(table: DeltaTable, options: CompactionOptions = {}): Promise<CompactionResult> {
  const targetRows = options.targetRows ?? 250_000;
  const minFiles = options.minFiles ?? 8;
  const snapshot = await table.snapshot();
  if (snapshot.partitionColumns.length > 0) throw new Error(`compactTable handles unpartitioned tables only (${table.tablePath} is partitioned)`);
  const small = snapshot.files.filter((f) => (fileRowCount(f) ?? 0) < targetRows / 2);
  if (small.length < minFiles) return { filesRemoved: 0, filesAdded: 0, rows: 0, version: null };

  // Read and regroup into batches of about targetRows rows, in the order the files were added.
  const outputs: AddFile[] = [];
  let pending: arrow.RecordBatch[] = [];
  let pendingRows = 0;
  let rows = 0;
  const writePending = async () => {
    if (pendingRows === 0) return;
    outputs.push(await table.writeDataFile(new arrow.Table(pending), { snapshot, dataChange: false }));
    pending = [];
    pendingRows = 0;
  };
  for (const file of small) {
    const data = await table.readDataFile(file, { snapshot });
    pending.push(...data.batches);
    pendingRows += data.numRows;
    rows += data.numRows;
    if (pendingRows >= targetRows) await writePending();
  }
  await writePending();

  const now = Date.now();
  const actions: Action[] = [...small.map((f) => rearranged(f, now)), ...outputs.map((add) => ({ add }))];
  // Appends committed meanwhile (the archiver) do not touch the files being replaced: re-check and retry.
  let readVersion = snapshot.version;
  for (let attempt = 1; ; attempt++) {
    try {
      const version = await table.commit(readVersion, actions, { operation: 'OPTIMIZE', operationParameters: { targetRows: String(targetRows) } });
      options.logger?.info({ table: table.tablePath, filesRemoved: small.length, filesAdded: outputs.length, rows, version }, 'compaction committed');
      return { filesRemoved: small.length, filesAdded: outputs.length, rows, version };
    } catch (error) {
      const current = error instanceof ConflictError && attempt < MAX_ATTEMPTS ? await table.snapshot() : undefined;
      const live = new Set(current?.files.map((f) => f.path));
      if (!current || !small.every((f) => live.has(f.path))) {
        // Nothing references the rewritten files: remove them so no orphan is left behind.
        await table.discardDataFiles(outputs);
        throw error instanceof ConflictError && current ? new ConflictError(`compaction of ${table.tablePath} lost a race: another writer removed some of its files; run it again`) : error;
      }
      readVersion = current.version;
    }
  }
}
