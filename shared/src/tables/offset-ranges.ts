/**
 * Which log offsets a raw data file holds, written into its `add` action's tags
 * (`lamina.ranges`): per log partition, the offset range [from, to) of the archiver flush the rows
 * came from and how many of the file's rows it holds. A batch uses them to read only the files
 * with events it has not covered yet (incremental runs) and to check that it read every row
 * (the complete-read gate), without opening a file.
 *
 * Text form: `epoch:partition:from-to:rows` joined by ','. Files without the tag (written by other
 * tools) are read in full and filtered by their `_offset` column.
 */
import { CorruptDataError } from '../errors.js';

export const RANGES_TAG = 'lamina.ranges';

export interface OffsetRange {
  epoch: number;
  partition: number;
  /** First offset, inclusive. */
  from: number;
  /** End offset, exclusive. */
  to: number;
  /** Rows of this file whose offsets lie in [from, to). */
  rows: number;
}

/** Offsets [from[p], to[p]) of each partition of one epoch: what a batch reads. */
export interface OffsetWindow {
  epoch: number;
  from: readonly number[];
  to: readonly number[];
}

export function formatRanges(ranges: readonly OffsetRange[]): string {
  return ranges.map((r) => `${r.epoch}:${r.partition}:${r.from}-${r.to}:${r.rows}`).join(',');
}

export function parseRanges(text: string, source: string): OffsetRange[] {
  if (text === '') return [];
  return text.split(',').map((part) => {
    const m = /^(\d+):(\d+):(\d+)-(\d+):(\d+)$/.exec(part);
    if (!m) throw new CorruptDataError(`${source}: tag ${RANGES_TAG} holds '${part}', not epoch:partition:from-to:rows`);
    return { epoch: Number(m[1]), partition: Number(m[2]), from: Number(m[3]), to: Number(m[4]), rows: Number(m[5]) };
  });
}

/** The ranges of a data file, or undefined when it has no tag. */
export function rangesOf(file: { path: string; tags?: Record<string, string> | null }): OffsetRange[] | undefined {
  const text = file.tags?.[RANGES_TAG];
  return text === undefined ? undefined : parseRanges(text, file.path);
}

/** Whether a range lies inside a window (ranges never straddle a window's bounds: both are flush boundaries). */
export function rangeInWindow(range: OffsetRange, window: OffsetWindow): boolean {
  if (range.epoch !== window.epoch) return false;
  const from = window.from[range.partition] ?? 0;
  const to = window.to[range.partition] ?? 0;
  return range.from >= from && range.to <= to;
}

/** Whether a range shares any offset with a window. */
export function rangeTouchesWindow(range: OffsetRange, window: OffsetWindow): boolean {
  if (range.epoch !== window.epoch) return false;
  const from = window.from[range.partition] ?? 0;
  const to = window.to[range.partition] ?? 0;
  return range.from < to && range.to > from;
}
