/**
 * The one commit policy of every writer of the lake (archiver, compaction, batch views), in explicit
 * stages as delta-rs does it:
 *   prepare  — read a snapshot, decide the actions, write the data files they add; a check that
 *              must pass before anything is committed may run meanwhile (`ready`);
 *   commit   — the create-only write of the next log version;
 *   conflict — another writer took that version: the prepared files are discarded (nothing references
 *              them) and prepare runs again on the newer snapshot, after a short jittered backoff,
 *              so it can re-check its plan against what the winner committed (skip what is done,
 *              or throw a ConflictError of its own when the plan no longer holds).
 * A failed `ready` discards the files too and is rethrown. Any other failure of the commit is rethrown
 * with the files left in place: the create-only write may have landed all the same (a request that
 * timed out while the store was unreachable, and that the store completed once back), and then its
 * version references them. Deleted, those events would be lost while the log says they are archived;
 * left, a commit that did not land leaves invisible orphans for vacuum.
 */
import { ConflictError } from '../errors.js';
import type { Action, AddFile } from './actions.js';
import type { CommitOptions, DeltaTable } from './delta-table.js';
import type { Snapshot } from './snapshot.js';

export interface PreparedCommit<T> {
  actions: Action[];
  /** Data files written for this attempt; removed again if the attempt surely did not commit. */
  files: AddFile[];
  value: T;
  options?: CommitOptions;
  /** Awaited just before the commit; a rejection discards the files and is rethrown (no retry). */
  ready?: Promise<unknown>;
}

export interface CommitRetryPolicy {
  maxAttempts: number;
  /** Wait before attempt n (n >= 2). */
  backoffMs(attempt: number): number;
}

export const DEFAULT_COMMIT_RETRY: CommitRetryPolicy = {
  maxAttempts: 10,
  backoffMs: (attempt) => Math.min(1000, 5 * 2 ** attempt) * (0.5 + Math.random() / 2),
};

export interface CommitResult<T> {
  /** The committed version; null when prepare found nothing to commit. */
  version: number | null;
  value: T | undefined;
  snapshot: Snapshot;
}

/**
 * Runs prepare → commit until a commit succeeds or prepare returns null (nothing to do).
 * ConflictError after maxAttempts lost races.
 */
export async function commitWithRetry<T>(
  table: DeltaTable,
  prepare: (snapshot: Snapshot, attempt: number) => Promise<PreparedCommit<T> | null>,
  policy: CommitRetryPolicy = DEFAULT_COMMIT_RETRY,
): Promise<CommitResult<T>> {
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, policy.backoffMs(attempt)));
    const snapshot = await table.snapshot();
    const prepared = await prepare(snapshot, attempt);
    if (prepared === null) return { version: null, value: undefined, snapshot };
    if (prepared.ready) {
      try {
        await prepared.ready;
      } catch (error) {
        await table.discardDataFiles(prepared.files);
        throw error;
      }
    }
    try {
      const version = await table.commit(snapshot.version, prepared.actions, prepared.options);
      return { version, value: prepared.value, snapshot };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      await table.discardDataFiles(prepared.files);
      if (attempt >= policy.maxAttempts) throw error;
    }
  }
}
