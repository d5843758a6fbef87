/**
 * A Delta Lake table on an ObjectStore: snapshots by log replay, optimistic commits by create-only
 * writes of the next `_delta_log/<version>.json` (of two writers racing for a version exactly one
 * wins; the other gets a retriable ConflictError and re-reads).
 *
 * Checkpoints keep fresh readers cheap on tables with many commits (the archiver commits every few
 * seconds): after each commit whose version is a multiple of the checkpoint interval, the committer
 * writes a classic single-file checkpoint `<version>.checkpoint.parquet` and `_last_checkpoint`
 * (checkpoints.ts) before commit() returns; best-effort, since the commit itself has already
 * succeeded (failures go to onCheckpointError, the next interval tries again). A fresh handle then reads
 * `_last_checkpoint`, that checkpoint, and the few JSON commits after it (log-replay.ts); a handle keeps
 * its newest state and later reads only the commits that follow. Lamina never deletes log files, and
 * reads tables other engines checkpointed as long as they use classic checkpoints or keep their commits.
 */
import { randomUUID } from 'node:crypto';
import * as arrow from 'apache-arrow';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { ObjectStore } from '../ports/object-store.js';
import { removeAction, serializeCommit, type Action, type AddFile, type Metadata } from './actions.js';
import { writeCheckpoint, type CheckpointInfo } from './checkpoints.js';
import { readDataFile, writeDataFile, dataFileKey, type WriteDataFileOptions } from './data-files.js';
import { parseDeltaStruct, schemaDifferences, toDeltaStruct } from './delta-schema.js';
import { commitKey, commitVersionOf, isCheckpointKey, logPrefix } from './log-files.js';
import { replayLog, type LogReplayContext } from './log-replay.js';
import { assertPartitionable } from './partitions.js';
import { assertWritable, assertWriterProtocol, ReplayState, type Snapshot } from './snapshot.js';

export interface DeltaTableOptions {
  /**
   * Checkpoint after each commit whose version is a multiple of this; 0 turns automatic checkpoints off.
   * Default: the table's `delta.checkpointInterval` property, else 100 (Delta's default).
   */
  checkpointInterval?: number;
  /**
   * Told about checkpoint trouble Lamina worked around: a checkpoint write that failed after its commit
   * succeeded, or an unreadable checkpoint or `_last_checkpoint` a read skipped. Default: ignored.
   */
  onCheckpointError?: (error: Error) => void;
}

export interface CreateTableOptions {
  partitionColumns?: string[];
  /** Delta table properties (`delta.appendOnly`, …), written into metaData.configuration. */
  configuration?: Record<string, string>;
  name?: string;
  description?: string;
}

export interface CommitOptions {
  /** commitInfo.operation, e.g. 'WRITE' (default), 'CREATE TABLE', 'OPTIMIZE'. */
  operation?: string;
  operationParameters?: Record<string, string>;
}

const READ_CONCURRENCY = 8;
const DEFAULT_CHECKPOINT_INTERVAL = 100;

export class DeltaTable {
  /** Newest state this instance has replayed; snapshots extend it with only the newer commits. */
  private latest: ReplayState | undefined;

  private constructor(readonly store: ObjectStore, readonly tablePath: string, private readonly options: DeltaTableOptions) {}

  /** A handle on the table at `tablePath` (no I/O; the table may not exist yet). */
  static open(store: ObjectStore, tablePath: string, options: DeltaTableOptions = {}): DeltaTable {
    if (tablePath.startsWith('/') || tablePath.endsWith('/')) {
      throw new ValidationError(`table path ${JSON.stringify(tablePath)} must be a store key prefix without leading or trailing '/' (e.g. 'lake/events')`);
    }
    const interval = options.checkpointInterval;
    if (interval !== undefined && (!Number.isSafeInteger(interval) || interval < 0)) {
      throw new ValidationError(`checkpointInterval must be a non-negative integer (0 = no automatic checkpoints), got ${interval}`);
    }
    return new DeltaTable(store, tablePath, options);
  }

  async exists(): Promise<boolean> {
    for await (const info of this.store.list(logPrefix(this.tablePath))) {
      if (commitVersionOf(info.key, this.tablePath) !== undefined || isCheckpointKey(info.key, this.tablePath)) return true;
    }
    return false;
  }

  /**
   * Creates the table (version 0: protocol + metaData) unless it exists. Racing creators are safe: one
   * writes version 0, the others see it. Throws ValidationError if the existing schema or partitioning differ.
   */
  async createIfMissing(schema: arrow.Schema, options: CreateTableOptions = {}): Promise<Snapshot> {
    const struct = toDeltaStruct(schema);
    const partitionColumns = options.partitionColumns ?? [];
    for (const name of partitionColumns) {
      const field = struct.fields.find((f) => f.name === name);
      if (!field) throw new ValidationError(`partition column "${name}" is not in the schema`);
      assertPartitionable(field);
    }
    if (!(await this.exists())) {
      const metaData: Metadata = {
        id: randomUUID(),
        name: options.name ?? null,
        description: options.description ?? null,
        format: { provider: 'parquet', options: {} },
        schemaString: JSON.stringify(struct),
        partitionColumns,
        configuration: options.configuration ?? {},
        createdTime: Date.now(),
      };
      const actions: Action[] = [
        this.commitInfo(-1, 'CREATE TABLE', { partitionBy: JSON.stringify(partitionColumns), properties: JSON.stringify(metaData.configuration) }, true),
        { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
        { metaData },
      ];
      if (await this.store.putIfAbsent(commitKey(this.tablePath, 0), serializeCommit(actions))) {
        const state = new ReplayState(this.tablePath);
        state.apply(0, actions);
        this.remember(state);
        return state.toSnapshot();
      }
    }
    const existing = await this.snapshot();
    const differences = schemaDifferences(struct, parseDeltaStruct(existing.metadata.schemaString, this.tablePath));
    if (existing.partitionColumns.join(',') !== partitionColumns.join(',')) {
      differences.push(`partition columns: expected [${partitionColumns.join(', ')}], found [${existing.partitionColumns.join(', ')}]`);
    }
    if (differences.length > 0) {
      throw new ValidationError(`table ${this.tablePath} already exists with a different layout: ${differences.join('; ')}`, differences);
    }
    return existing;
  }

  /**
   * Creates the table with `schema`, or evolves an existing one towards it: columns of `schema` the
   * table lacks are appended (nullable only; Delta schema evolution, old files read them as null).
   * A column that changed type or nullability, or a different partitioning, is a ValidationError.
   */
  async ensureSchema(schema: arrow.Schema, options: CreateTableOptions = {}): Promise<Snapshot> {
    if (!(await this.exists())) return this.createIfMissing(schema, options);
    const wanted = toDeltaStruct(schema);
    for (let attempt = 1; ; attempt++) {
      const snapshot = await this.snapshot();
      const existing = parseDeltaStruct(snapshot.metadata.schemaString, this.tablePath);
      const byName = new Map(existing.fields.map((f) => [f.name, f]));
      const problems: string[] = [];
      const added = wanted.fields.filter((f) => {
        const old = byName.get(f.name);
        if (old && (old.type !== f.type || old.nullable !== f.nullable)) problems.push(`column "${f.name}" is ${old.type}${old.nullable ? '' : ' not null'} in the table but ${f.type}${f.nullable ? '' : ' not null'} now`);
        if (!old && !f.nullable) problems.push(`new column "${f.name}" must be nullable (old files have no value for it)`);
        return !old;
      });
      if ((options.partitionColumns ?? []).join(',') !== snapshot.partitionColumns.join(',')) problems.push(`partition columns: expected [${(options.partitionColumns ?? []).join(', ')}], found [${snapshot.partitionColumns.join(', ')}]`);
      if (problems.length > 0) throw new ValidationError(`table ${this.tablePath} cannot evolve to the new schema: ${problems.join('; ')}`, problems);
      if (added.length === 0) return snapshot;
      const schemaString = JSON.stringify({ type: 'struct', fields: [...existing.fields, ...added] });
      try {
        await this.commit(snapshot.version, [{ metaData: { ...snapshot.metadata, schemaString } }], { operation: 'ADD COLUMNS', operationParameters: { columns: JSON.stringify(added.map((f) => f.name)) } });
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= 10) throw error;
      }
    }
  }

  /** The table at `version` (default: the newest). NotFoundError if the table or version does not exist. */
  async snapshot(version?: number): Promise<Snapshot> {
    return (await this.stateAt(version)).toSnapshot();
  }

  /**
   * Writes the checkpoint of `version` (default: the newest) unless it exists, and points
   * `_last_checkpoint` at it unless that names a newer one. Commits do this automatically every
   * checkpointInterval versions; call it to checkpoint on demand (e.g. before handing a table to readers).
   */
  async checkpoint(version?: number): Promise<CheckpointInfo> {
    const state = await this.stateAt(version);
    assertWriterProtocol(state.toSnapshot());
    return writeCheckpoint(this.store, this.tablePath, state);
  }

  /**
   * Commits `actions` as version readVersion + 1 (commitInfo added). ConflictError (retriable) when
   * another writer committed after readVersion: re-read the snapshot, re-check, and retry; data files
   * already written can be reused in the retry. Returns the new version.
   */
  async commit(readVersion: number, actions: Action[], options: CommitOptions = {}): Promise<number> {
    if (!Number.isSafeInteger(readVersion) || readVersion < 0) {
      throw new ValidationError(`readVersion must be the version of a snapshot (>= 0), got ${readVersion}; create the table with createIfMissing first`);
    }
    if (actions.some((a) => 'commitInfo' in a)) throw new ValidationError('commit adds commitInfo itself; pass options.operation instead');
    // The create-only write below is what detects a lost race, so a cached state at readVersion
    // needs no listing of the log (a writer that read its snapshot from this handle: one round trip less).
    const current = this.latest?.version === readVersion ? this.latest.toSnapshot() : await this.snapshot();
    if (current.version > readVersion) throw this.conflict(readVersion + 1);
    if (current.version < readVersion) throw new ValidationError(`table ${this.tablePath} has no version ${readVersion} (newest is ${current.version}); commit on a version read from snapshot()`);
    assertWritable(current, actions);

    const version = readVersion + 1;
    const isBlindAppend = actions.every((a) => 'add' in a || 'txn' in a);
    const all: Action[] = [this.commitInfo(readVersion, options.operation ?? 'WRITE', options.operationParameters ?? (isBlindAppend ? { mode: 'Append' } : {}), isBlindAppend), ...actions];
    if (!(await this.store.putIfAbsent(commitKey(this.tablePath, version), serializeCommit(all)))) throw this.conflict(version);
    const state = (this.latest?.version === readVersion ? this.latest : undefined)?.clone();
    if (state) {
      state.apply(version, all);
      this.remember(state);
    }
    if (version > 0 && version % this.checkpointInterval(state?.metadata ?? current.metadata) === 0) {
      await this.checkpointAfterCommit(version, state);
    }
    return version;
  }

  /** Writes one Parquet data file (not yet part of the table: commit its `add` to publish it). */
  async writeDataFile(table: arrow.Table, options: WriteDataFileOptions & { snapshot?: Snapshot } = {}): Promise<AddFile> {
    const layout = options.snapshot ?? (await this.snapshot());
    return writeDataFile(this.store, layout, table, options);
  }

  /** Reads one data file as an Arrow table in the snapshot's schema (partition columns re-attached). */
  async readDataFile(add: AddFile, options: { snapshot?: Snapshot } = {}): Promise<arrow.Table> {
    const layout = options.snapshot ?? (await this.snapshot());
    return readDataFile(this.store, layout, add);
  }

  /** All rows of a snapshot (default: the newest), as one Arrow table. */
  async readAll(snapshot?: Snapshot): Promise<arrow.Table> {
    const snap = snapshot ?? (await this.snapshot());
    const tables: arrow.Table[] = new Array(snap.files.length);
    for (let i = 0; i < snap.files.length; i += READ_CONCURRENCY) {
      const chunk = snap.files.slice(i, i + READ_CONCURRENCY);
      const read = await Promise.all(chunk.map((f) => readDataFile(this.store, snap, f)));
      read.forEach((t, j) => (tables[i + j] = t));
    }
    return new arrow.Table(snap.schema, tables.flatMap((t) => t.batches));
  }

  /**
   * Replaces the table's contents in one commit: removes every file live at readVersion, adds one file
   * per non-empty table. The new files are deleted again when the commit surely did not land (a
   * write failed, or ConflictError); see commitWithRetry for why other failures leave them.
   */
  async overwrite(readVersion: number, tables: arrow.Table[], options: CommitOptions & { extraActions?: Action[] } = {}): Promise<number> {
    const snap = await this.snapshot(readVersion);
    const adds: AddFile[] = [];
    try {
      for (const t of tables) if (t.numRows > 0) adds.push(await writeDataFile(this.store, snap, t));
    } catch (error) {
      await this.discardDataFiles(adds);
      throw error;
    }
    const now = Date.now();
    const actions: Action[] = [...snap.files.map((f) => removeAction(f, now)), ...adds.map((add) => ({ add })), ...(options.extraActions ?? [])];
    try {
      return await this.commit(readVersion, actions, { operation: options.operation ?? 'WRITE', operationParameters: options.operationParameters ?? { mode: 'Overwrite' } });
    } catch (error) {
      if (error instanceof ConflictError) await this.discardDataFiles(adds);
      throw error;
    }
  }

  /**
   * Deletes data files that no commit references (written for a commit that lost its race).
   * Best-effort: a file left behind is an invisible orphan, not an error.
   */
  async discardDataFiles(adds: readonly AddFile[]): Promise<void> {
    await Promise.all(adds.map((a) => this.store.delete(dataFileKey(this.tablePath, a.path)).catch(() => undefined)));
  }

  /** The state at `version` (default: the newest), from the cache when it can. */
  private async stateAt(version?: number): Promise<ReplayState> {
    if (version !== undefined && (!Number.isSafeInteger(version) || version < 0)) {
      throw new ValidationError(`table version must be a non-negative integer, got ${version}`);
    }
    const cached = this.latest;
    if (version !== undefined && cached && version <= cached.version) {
      if (version === cached.version) return cached;
      return replayLog(this.replayContext(), undefined, version);
    }
    const state = await replayLog(this.replayContext(), cached, version);
    this.remember(state);
    if (version !== undefined && state.version < version) {
      throw new NotFoundError(`table ${this.tablePath} has no version ${version} yet (newest is ${state.version})`);
    }
    return state;
  }

  /** Best-effort: the commit stands whatever happens here; the next interval tries again. */
  private async checkpointAfterCommit(version: number, state: ReplayState | undefined): Promise<void> {
    try {
      const at = state ?? (await this.stateAt(version));
      assertWriterProtocol(at.toSnapshot());
      await writeCheckpoint(this.store, this.tablePath, at);
    } catch (error) {
      this.options.onCheckpointError?.(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private checkpointInterval(metadata: Metadata | undefined): number {
    if (this.options.checkpointInterval !== undefined) return this.options.checkpointInterval || Number.POSITIVE_INFINITY;
    const configured = Number(metadata?.configuration['delta.checkpointInterval']);
    return Number.isSafeInteger(configured) && configured > 0 ? configured : DEFAULT_CHECKPOINT_INTERVAL;
  }

  private replayContext(): LogReplayContext {
    const interval = this.checkpointInterval(this.latest?.metadata);
    return {
      store: this.store,
      tablePath: this.tablePath,
      checkpointInterval: Number.isFinite(interval) ? interval : DEFAULT_CHECKPOINT_INTERVAL,
      onCheckpointError: (error) => this.options.onCheckpointError?.(error),
    };
  }

  private remember(state: ReplayState): void {
    if (!this.latest || state.version > this.latest.version) this.latest = state;
  }

  private conflict(version: number): ConflictError {
    return new ConflictError(`table ${this.tablePath}: version ${version} was committed by another writer; re-read the snapshot and retry`);
  }

  private commitInfo(readVersion: number, operation: string, operationParameters: Record<string, string>, isBlindAppend: boolean): Action {
    return {
      commitInfo: {
        timestamp: Date.now(),
        operation,
        operationParameters,
        ...(readVersion >= 0 ? { readVersion } : {}),
        isolationLevel: 'Serializable',
        isBlindAppend,
        engineInfo: 'lamina',
        txnId: randomUUID(),
      },
    };
  }
}
