/** Names of the files in a table's `_delta_log/` folder. */

/** Table-relative keys are joined onto the table path; '' puts the table at the store root. */
export function tableKey(tablePath: string, relative: string): string {
  return tablePath === '' ? relative : `${tablePath}/${relative}`;
}

export function logPrefix(tablePath: string): string {
  return tableKey(tablePath, '_delta_log/');
}

const pad = (version: number) => String(version).padStart(20, '0');

/** `_delta_log/00000000000000000042.json`: the version zero-padded to 20 digits. */
export function commitKey(tablePath: string, version: number): string {
  return `${logPrefix(tablePath)}${pad(version)}.json`;
}

/** A classic single-file checkpoint: `_delta_log/00000000000000000042.checkpoint.parquet`. */
export function checkpointKey(tablePath: string, version: number): string {
  return `${logPrefix(tablePath)}${pad(version)}.checkpoint.parquet`;
}

export function lastCheckpointKey(tablePath: string): string {
  return `${logPrefix(tablePath)}_last_checkpoint`;
}

/**
 * A `startAfter` for listing every log file of `version` and later: the bare zero-padded version sorts
 * before all of its own files (`.checkpoint.parquet`, `.crc`, `.json`).
 */
export function versionListStart(tablePath: string, version: number): string {
  return `${logPrefix(tablePath)}${pad(version)}`;
}

export type LogFileKind = 'commit' | 'checkpoint' | 'multipart-checkpoint' | 'uuid-checkpoint' | 'other';

export interface LogFile {
  version: number;
  kind: LogFileKind;
  /** Multi-part checkpoints: this file's part number and the number of parts. */
  part?: number;
  parts?: number;
}

const COMMIT_FILE = /^(\d{20})\.json$/;
const CHECKPOINT_FILE = /^(\d{20})\.checkpoint(\.\d+\.\d+)?(\.[0-9a-f-]+)?\.(parquet|json)$/;
const CLASSIC_CHECKPOINT = /^\d{20}\.checkpoint\.parquet$/;
const MULTIPART_CHECKPOINT = /^\d{20}\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/;
const VERSIONED = /^(\d{20})\./;

/** What a `_delta_log/` key is; undefined for keys not named after a version (`_last_checkpoint`, folders). */
export function parseLogKey(key: string, tablePath: string): LogFile | undefined {
  const name = key.slice(logPrefix(tablePath).length);
  const versioned = VERSIONED.exec(name);
  if (!versioned || name.includes('/')) return undefined;
  const version = Number(versioned[1]);
  if (COMMIT_FILE.test(name)) return { version, kind: 'commit' };
  if (CLASSIC_CHECKPOINT.test(name)) return { version, kind: 'checkpoint' };
  const multi = MULTIPART_CHECKPOINT.exec(name);
  if (multi) return { version, kind: 'multipart-checkpoint', part: Number(multi[1]), parts: Number(multi[2]) };
  if (CHECKPOINT_FILE.test(name)) return { version, kind: 'uuid-checkpoint' };
  return { version, kind: 'other' };
}

/** The commit version a `_delta_log/` key names, or undefined for other log files. */
export function commitVersionOf(key: string, tablePath: string): number | undefined {
  const match = COMMIT_FILE.exec(key.slice(logPrefix(tablePath).length));
  return match ? Number(match[1]) : undefined;
}

export function isCheckpointKey(key: string, tablePath: string): boolean {
  return CHECKPOINT_FILE.test(key.slice(logPrefix(tablePath).length));
}
