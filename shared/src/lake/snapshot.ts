/**
 * Log replay: the state of a table at a version is the fold of its commits 0..version
 * (PROTOCOL.md "Action Reconciliation"): the last protocol and metaData win, an `add` makes a path
 * live and a `remove` retires it (leaving a tombstone), and each appId keeps its latest `txn`.
 * A checkpoint is this state written down, so replay may also start from one (ReplayState.fromCheckpoint).
 */
import type * as arrow from 'apache-arrow';
import { CorruptDataError, ValidationError } from '../errors.js';
import type { Action, AddFile, Metadata, Protocol, RemoveFile, Txn } from './actions.js';
import { parseDeltaStruct, toArrowSchema, type DeltaField } from './delta-schema.js';
import type { TableLayout } from './data-files.js';

/** One consistent version of a table. Immutable: later commits produce new snapshots. */
export interface Snapshot extends TableLayout {
  version: number;
  protocol: Protocol;
  metadata: Metadata;
  /** All columns, partition columns included, in table order. */
  schema: arrow.Schema;
  /** Live data files, in the order they were added. */
  files: AddFile[];
  /** appId -> version of the latest `txn` for it. */
  txns: ReadonlyMap<string, number>;
}

/** Reader features Lamina can honour (none: it reads plain reader-v1 tables). */
const READER_FEATURES = new Set<string>();
/** Writer features whose rules Lamina follows when it commits. */
const WRITER_FEATURES = new Set(['appendOnly']);

export class ReplayState {
  version = -1;
  protocol: Protocol | undefined;
  metadata: Metadata | undefined;
  private readonly files: Map<string, AddFile>;
  /** Removed paths, kept for checkpoints: other engines' VACUUM spares files removed recently. */
  private readonly tombstones: Map<string, RemoveFile>;
  private readonly txns: Map<string, Txn>;

  constructor(private readonly tablePath: string, from?: ReplayState) {
    this.version = from?.version ?? -1;
    this.protocol = from?.protocol;
    this.metadata = from?.metadata;
    this.files = new Map(from?.files);
    this.tombstones = new Map(from?.tombstones);
    this.txns = new Map(from?.txns);
  }

  /** The state a checkpoint of `version` holds (its actions are already reconciled). */
  static fromCheckpoint(tablePath: string, version: number, actions: readonly Action[]): ReplayState {
    const state = new ReplayState(tablePath);
    state.fold(actions);
    state.version = version;
    return state;
  }

  clone(): ReplayState {
    return new ReplayState(this.tablePath, this);
  }

  apply(version: number, actions: readonly Action[]): void {
    if (version !== this.version + 1) {
      throw new CorruptDataError(`table ${this.tablePath}: commit ${version} follows version ${this.version}; the Delta log has a gap`);
    }
    this.fold(actions);
    this.version = version;
  }

  /**
   * The reconciled actions of this version, as a checkpoint stores them: protocol, metaData, txns,
   * live adds (in the order they were added), and the tombstones removed at or after `keepRemovedSince`
   * (ms since the epoch; older ones have expired and are dropped here too, to bound memory).
   */
  checkpointActions(keepRemovedSince: number): Action[] {
    const { protocol, metadata } = this.core();
    for (const [path, remove] of this.tombstones) {
      if ((remove.deletionTimestamp ?? 0) < keepRemovedSince) this.tombstones.delete(path);
    }
    return [
      { protocol },
      { metaData: metadata },
      ...[...this.txns.values()].map((txn) => ({ txn })),
      ...[...this.files.values()].map((add) => ({ add })),
      ...[...this.tombstones.values()].map((remove) => ({ remove })),
    ];
  }

  private core(): { protocol: Protocol; metadata: Metadata } {
    if (!this.protocol || !this.metadata) {
      throw new CorruptDataError(`table ${this.tablePath}: no protocol or metaData action up to version ${this.version}; this is not a valid Delta table`);
    }
    return { protocol: this.protocol, metadata: this.metadata };
  }

  private fold(actions: readonly Action[]): void {
    for (const action of actions) {
      if ('add' in action) {
        this.files.set(action.add.path, action.add);
        this.tombstones.delete(action.add.path);
      } else if ('remove' in action) {
        this.files.delete(action.remove.path);
        this.tombstones.set(action.remove.path, action.remove);
      } else if ('txn' in action) this.txns.set(action.txn.appId, action.txn);
      else if ('metaData' in action) this.metadata = action.metaData;
      else if ('protocol' in action) this.protocol = action.protocol;
    }
  }

  toSnapshot(): Snapshot {
    const { protocol, metadata } = this.core();
    assertReadable(this.tablePath, protocol, metadata);
    const struct = parseDeltaStruct(metadata.schemaString, this.tablePath);
    return {
      tablePath: this.tablePath,
      version: this.version,
      protocol,
      metadata,
      schema: toArrowSchema(struct.fields),
      fields: struct.fields,
      partitionColumns: metadata.partitionColumns,
      files: [...this.files.values()],
      txns: new Map([...this.txns.values()].map((t) => [t.appId, t.version])),
    };
  }
}

function assertReadable(tablePath: string, protocol: Protocol, metadata: Metadata): void {
  const { minReaderVersion: v, readerFeatures = [] } = protocol;
  const columnMapping = metadata.configuration['delta.columnMapping.mode'] ?? 'none';
  const ok = v === 1 || (v === 2 && columnMapping === 'none') || (v === 3 && readerFeatures.every((f) => READER_FEATURES.has(f)) && columnMapping === 'none');
  if (!ok) {
    throw new ValidationError(`table ${tablePath} needs Delta reader version ${v}${readerFeatures.length ? ` with features ${readerFeatures.join(', ')}` : ''}${columnMapping !== 'none' ? ` and column mapping (${columnMapping})` : ''}; Lamina reads reader-v1 tables only`);
  }
  if (metadata.format?.provider && metadata.format.provider !== 'parquet') {
    throw new ValidationError(`table ${tablePath} stores ${metadata.format.provider} files; Delta data files must be parquet`);
  }
}

/**
 * Throws unless Lamina knows every writer rule of this protocol. Checkpoints need this too: a table
 * with writer features Lamina lacks may hold actions (domainMetadata, …) a Lamina checkpoint would drop.
 */
export function assertWriterProtocol(snapshot: Snapshot): void {
  const { minWriterVersion: v, writerFeatures = [] } = snapshot.protocol;
  const ok = v <= 2 || (v === 7 && writerFeatures.every((f) => WRITER_FEATURES.has(f)));
  if (!ok) {
    throw new ValidationError(`table ${snapshot.tablePath} needs Delta writer version ${v}${writerFeatures.length ? ` with features ${writerFeatures.join(', ')}` : ''}; Lamina writes tables up to writer version 2`);
  }
}

/** Throws unless Lamina may commit to a table with this protocol and the commit keeps its rules. */
export function assertWritable(snapshot: Snapshot, actions: readonly Action[]): void {
  assertWriterProtocol(snapshot);
  if (snapshot.fields.some((f: DeltaField) => 'delta.invariants' in f.metadata)) {
    throw new ValidationError(`table ${snapshot.tablePath} declares column invariants, which Lamina does not check; it will not write to it`);
  }
  if (snapshot.metadata.configuration['delta.appendOnly'] === 'true' && actions.some((a) => 'remove' in a && a.remove.dataChange)) {
    throw new ValidationError(`table ${snapshot.tablePath} is append-only (delta.appendOnly=true): a commit cannot remove data`);
  }
  for (const a of actions) {
    if (!('add' in a)) continue;
    const keys = Object.keys(a.add.partitionValues).sort().join(',');
    if (keys !== [...snapshot.partitionColumns].sort().join(',')) {
      throw new ValidationError(`add ${a.add.path}: partitionValues must name exactly the partition columns (${snapshot.partitionColumns.join(', ') || 'none'})`);
    }
  }
}
