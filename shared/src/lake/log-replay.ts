/**
 * Reading a table's state at a version from `_delta_log/`: start from the newest classic checkpoint at
 * or below that version (found through `_last_checkpoint`, else by listing) and replay only the JSON
 * commits after it. Without a usable checkpoint, replay from version 0 if those commits still exist.
 *
 * Checkpoint trouble never makes a read wrong: an unreadable `_last_checkpoint` or checkpoint is
 * reported and skipped, and the read falls back to an older checkpoint or to the JSON commits.
 * Multi-part and UUID-named (V2) checkpoints are not read; the JSON commits must cover them.
 */
import { CorruptDataError, NotFoundError, ValidationError } from '../errors.js';
import type { ObjectStore } from '../ports/object-store.js';
import { parseCommit } from './actions.js';
import { readCheckpoint } from './checkpoints.js';
import { readLastCheckpoint } from './last-checkpoint.js';
import { commitKey, logPrefix, parseLogKey, versionListStart } from './log-files.js';
import { ReplayState } from './snapshot.js';

export interface LogReplayContext {
  store: ObjectStore;
  tablePath: string;
  /** Where checkpoints are likely to be, for time travel behind the newest one (0: no guess). */
  checkpointInterval: number;
  /** Told about checkpoint files that were skipped because they could not be read. */
  onCheckpointError: (error: Error) => void;
}

/** A cached state further behind than this many commits catches up from a newer checkpoint instead. */
const CATCH_UP_COMMITS = 64;
const READ_CONCURRENCY = 8;
const decoder = new TextDecoder();

interface LogListing {
  /** The newest version the listing covers (undefined: all). */
  upTo: number | undefined;
  /** True when files beyond `upTo` exist (the listing stopped early). */
  more: boolean;
  commits: number[];
  /** Classic single-file checkpoints, ascending. */
  checkpoints: number[];
  /** Checkpoints Lamina does not read (multi-part, UUID-named), for error messages. */
  unreadable: Set<string>;
}

/**
 * The state at `upTo` (default: the newest version), extending `base` when given (a state of an older
 * version, not modified). The result's version is below `upTo` when the log ends earlier.
 */
export async function replayLog(ctx: LogReplayContext, base: ReplayState | undefined, upTo?: number): Promise<ReplayState> {
  /** Checkpoints found unreadable during this read, so a second listing does not retry them. */
  const failed = new Set<number>();
  if (base) return extend(ctx, base, failed, upTo);
  const hint = await startHint(ctx, upTo);
  if (hint !== undefined) {
    const listing = await listLog(ctx, hint, upTo);
    const state = await fromNewestCheckpoint(ctx, listing, failed);
    if (state) return complete(ctx, state, listing);
  }
  const listing = await listLog(ctx, 0, upTo);
  return complete(ctx, (await fromNewestCheckpoint(ctx, listing, failed)) ?? (await fromFirstCommit(ctx, listing)), listing);
}

async function extend(ctx: LogReplayContext, base: ReplayState, failed: Set<number>, upTo?: number): Promise<ReplayState> {
  const listing = await listLog(ctx, base.version + 1, upTo);
  const newest = listing.checkpoints.at(-1);
  const contiguous = listing.commits.length === 0 || listing.commits[0] === base.version + 1;
  if (newest !== undefined && (!contiguous || newest - base.version > CATCH_UP_COMMITS)) {
    const state = await fromNewestCheckpoint(ctx, listing, failed);
    if (state) return complete(ctx, state, listing);
  }
  return complete(ctx, await replayCommits(ctx, base.clone(), listing.commits), listing);
}

/** A replay that stops short of `upTo` although later log files exist lacks commits in between. */
function complete(ctx: LogReplayContext, state: ReplayState, listing: LogListing): ReplayState {
  if (listing.upTo !== undefined && state.version < listing.upTo && listing.more) {
    throw new ValidationError(
      `table ${ctx.tablePath}: version ${listing.upTo} cannot be read: the JSON commits after version ${state.version} up to it were cleaned up ` +
        'and no checkpoint Lamina can read covers it; read a newer version, or disable log cleanup (delta.enableExpiredLogCleanup=false)',
    );
  }
  return state;
}

/** Where to start listing: the `_last_checkpoint` version, or for time travel behind it a likely checkpoint. */
async function startHint(ctx: LogReplayContext, upTo?: number): Promise<number | undefined> {
  let last;
  try {
    last = await readLastCheckpoint(ctx.store, ctx.tablePath);
  } catch (error) {
    if (!(error instanceof CorruptDataError)) throw error;
    ctx.onCheckpointError(error);
  }
  if (!last) return undefined;
  if (upTo === undefined || last.version <= upTo) return last.version;
  const guess = ctx.checkpointInterval > 0 ? upTo - (upTo % ctx.checkpointInterval) : 0;
  return guess > 0 ? guess : undefined;
}

async function listLog(ctx: LogReplayContext, from: number, upTo?: number): Promise<LogListing> {
  const listing: LogListing = { upTo, more: false, commits: [], checkpoints: [], unreadable: new Set() };
  const options = from > 0 ? { startAfter: versionListStart(ctx.tablePath, from) } : {};
  for await (const info of ctx.store.list(logPrefix(ctx.tablePath), options)) {
    const file = parseLogKey(info.key, ctx.tablePath);
    if (!file) continue;
    if (upTo !== undefined && file.version > upTo) {
      listing.more = true;
      break;
    }
    if (file.kind === 'commit') listing.commits.push(file.version);
    else if (file.kind === 'checkpoint') listing.checkpoints.push(file.version);
    else if (file.kind !== 'other') listing.unreadable.add(`${file.kind} at version ${file.version}`);
  }
  return listing;
}

async function fromNewestCheckpoint(ctx: LogReplayContext, listing: LogListing, failed: Set<number>): Promise<ReplayState | undefined> {
  for (const version of [...listing.checkpoints].reverse()) {
    if (failed.has(version)) continue;
    let state: ReplayState;
    try {
      state = await readCheckpoint(ctx.store, ctx.tablePath, version);
    } catch (error) {
      // Damaged, or deleted by log cleanup since the listing: an older checkpoint or the commits will do.
      if (!(error instanceof CorruptDataError || error instanceof NotFoundError)) throw error;
      failed.add(version);
      ctx.onCheckpointError(error);
      continue;
    }
    return replayCommits(ctx, state, listing.commits.filter((v) => v > version));
  }
  return undefined;
}

async function fromFirstCommit(ctx: LogReplayContext, listing: LogListing): Promise<ReplayState> {
  const first = listing.commits[0];
  if (first !== 0) {
    if (first === undefined && !listing.more && listing.checkpoints.length === 0 && listing.unreadable.size === 0) {
      throw new NotFoundError(`no Delta table at ${ctx.tablePath} (no ${commitKey(ctx.tablePath, 0)}); create it with createIfMissing`);
    }
    const seen = [...listing.checkpoints.map((v) => `unreadable classic checkpoint at version ${v}`), ...listing.unreadable];
    throw new ValidationError(
      `table ${ctx.tablePath}: its oldest JSON commits were cleaned up and no checkpoint Lamina can read replaces them` +
        `${seen.length ? ` (found: ${seen.slice(0, 5).join(', ')})` : ''}; Lamina reads JSON commits and classic single-file checkpoints, ` +
        'so on tables it reads disable log cleanup (delta.enableExpiredLogCleanup=false) or keep classic checkpoints',
    );
  }
  return replayCommits(ctx, new ReplayState(ctx.tablePath), listing.commits);
}

async function replayCommits(ctx: LogReplayContext, state: ReplayState, versions: number[]): Promise<ReplayState> {
  for (let i = 0; i < versions.length; i += READ_CONCURRENCY) {
    const chunk = versions.slice(i, i + READ_CONCURRENCY);
    const texts = await Promise.all(chunk.map((v) => ctx.store.get(commitKey(ctx.tablePath, v))));
    chunk.forEach((v, j) => state.apply(v, parseCommit(decoder.decode(texts[j]), commitKey(ctx.tablePath, v))));
  }
  return state;
}
