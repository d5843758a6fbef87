/** Names of the files in a table's `_delta_log/` folder. */

/** Table-relative keys are joined onto the table path; '' puts the table at the store root. */
export function tableKey(tablePath: string, relative: string): string {
  return tablePath === '' ? relative : `${tablePath}/${relative}`;
}

export function logPrefix(tablePath: string): string {
  return tableKey(tablePath, '_delta_log/');
}

/** `_delta_log/00000000000000000042.json`: the version zero-padded to 20 digits. */
export function commitKey(tablePath: string, version: number): string {
  return `${logPrefix(tablePath)}${String(version).padStart(20, '0')}.json`;
}

const COMMIT_FILE = /^(\d{20})\.json$/;
const CHECKPOINT_FILE = /^(\d{20})\.checkpoint(\.\d+\.\d+)?(\.[0-9a-f-]+)?\.(parquet|json)$/;

/** The commit version a `_delta_log/` key names, or undefined for other log files. */
export function commitVersionOf(key: string, tablePath: string): number | undefined {
  const match = COMMIT_FILE.exec(key.slice(logPrefix(tablePath).length));
  return match ? Number(match[1]) : undefined;
}

export function isCheckpointKey(key: string, tablePath: string): boolean {
  return CHECKPOINT_FILE.test(key.slice(logPrefix(tablePath).length));
}
