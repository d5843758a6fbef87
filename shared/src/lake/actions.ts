/**
 * Delta Lake log actions, typed exactly as they appear in `_delta_log/<version>.json` (one JSON object
 * per line, wrapped in a single key naming the action). See the Delta protocol:
 * https://github.com/delta-io/delta/blob/master/PROTOCOL.md#actions
 */
import { CorruptDataError } from '../errors.js';

export interface Protocol {
  minReaderVersion: number;
  minWriterVersion: number;
  readerFeatures?: string[];
  writerFeatures?: string[];
}

export interface Metadata {
  id: string;
  name?: string | null;
  description?: string | null;
  format: { provider: string; options: Record<string, string> };
  /** The table schema as Delta JSON (a struct type), see delta-schema.ts. */
  schemaString: string;
  partitionColumns: string[];
  configuration: Record<string, string>;
  createdTime?: number | null;
}

/** Partition values are strings in Delta's serialization; null (or '') means a null value. */
export type PartitionValues = Record<string, string | null>;

export interface AddFile {
  /** Relative to the table root and URI-encoded (a partition folder may hold escaped characters). */
  path: string;
  partitionValues: PartitionValues;
  size: number;
  /** Milliseconds since the epoch. */
  modificationTime: number;
  /** False for files that only rearrange existing rows (compaction). */
  dataChange: boolean;
  /** JSON string: { numRecords, minValues, maxValues, nullCount }. */
  stats?: string | null;
  tags?: Record<string, string> | null;
  /** Present only in tables using deletion vectors, which Lamina refuses to read. */
  deletionVector?: unknown;
}

export interface RemoveFile {
  path: string;
  deletionTimestamp?: number;
  dataChange: boolean;
  extendedFileMetadata?: boolean;
  partitionValues?: PartitionValues;
  size?: number;
  stats?: string | null;
}

/** An application's idempotence marker: the latest `version` committed for `appId` wins. */
export interface Txn {
  appId: string;
  version: number;
  lastUpdated?: number;
}

/** Free-form provenance; Lamina always writes timestamp, operation and operationParameters. */
export interface CommitInfo {
  timestamp?: number;
  operation?: string;
  operationParameters?: Record<string, unknown>;
  [key: string]: unknown;
}

export type Action =
  | { protocol: Protocol }
  | { metaData: Metadata }
  | { add: AddFile }
  | { remove: RemoveFile }
  | { txn: Txn }
  | { commitInfo: CommitInfo };

const KNOWN = new Set(['protocol', 'metaData', 'add', 'remove', 'txn', 'commitInfo']);

/** One commit file as newline-delimited JSON (trailing newline included, as Spark writes it). */
export function serializeCommit(actions: readonly Action[]): string {
  return actions.map((a) => JSON.stringify(a)).join('\n') + '\n';
}

/**
 * Parses a commit file. Actions Lamina does not interpret (cdc, domainMetadata, …) are skipped:
 * they do not change the snapshot state Lamina reads, and protocol checks reject tables needing them.
 */
export function parseCommit(text: string, source: string): Action[] {
  const actions: Action[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (cause) {
      throw new CorruptDataError(`${source} line ${i + 1} is not valid JSON; the Delta log is damaged`, { cause });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new CorruptDataError(`${source} line ${i + 1} is not a JSON object`);
    }
    const kinds = Object.keys(parsed).filter((k) => KNOWN.has(k));
    if (kinds.length === 0) continue;
    if (kinds.length > 1) throw new CorruptDataError(`${source} line ${i + 1} holds several actions (${kinds.join(', ')})`);
    const action = parsed as Action;
    checkAction(action, `${source} line ${i + 1}`);
    actions.push(action);
  }
  return actions;
}

/** Throws CorruptDataError unless `action` has the fields Lamina relies on (fills defaults for optional maps). */
export function checkAction(action: Action, where: string): void {
  const fail = (what: string) => {
    throw new CorruptDataError(`${where}: ${what}`);
  };
  if ('add' in action) {
    const a = action.add;
    if (typeof a?.path !== 'string' || typeof a.size !== 'number') fail('add action needs a string path and a numeric size');
    a.partitionValues ??= {};
  } else if ('remove' in action) {
    if (typeof action.remove?.path !== 'string') fail('remove action needs a string path');
  } else if ('txn' in action) {
    if (typeof action.txn?.appId !== 'string' || typeof action.txn.version !== 'number') fail('txn action needs appId and numeric version');
  } else if ('metaData' in action) {
    const m = action.metaData;
    if (typeof m?.schemaString !== 'string' || typeof m.id !== 'string') fail('metaData action needs id and schemaString');
    m.partitionColumns ??= [];
    m.configuration ??= {};
  } else if ('protocol' in action) {
    if (typeof action.protocol?.minReaderVersion !== 'number' || typeof action.protocol.minWriterVersion !== 'number') fail('protocol action needs minReaderVersion and minWriterVersion');
  }
}

/** The `remove` that retires `add` (keeps the file for time travel; Delta's vacuum deletes it later). */
export function removeAction(add: AddFile, deletionTimestamp = Date.now()): Action {
  return {
    remove: {
      path: add.path,
      deletionTimestamp,
      dataChange: true,
      extendedFileMetadata: true,
      partitionValues: add.partitionValues,
      size: add.size,
    },
  };
}

export function txnAction(appId: string, version: number, lastUpdated = Date.now()): Action {
  return { txn: { appId, version, lastUpdated } };
}
