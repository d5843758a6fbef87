/** Which data files of a table a window needs, and how many of their rows it expects (from the offset-range tags). */
import { rangeInWindow, rangeTouchesWindow, rangesOf, type AddFile, type OffsetWindow } from '@lamina/shared';

const DAY_MS = 86_400_000;

/** Files with rows in the windows (files without range tags might have some, so they count too). */
export function filesTouching(files: readonly AddFile[], windows: readonly OffsetWindow[]): AddFile[] {
  return files.filter((f) => {
    const ranges = rangesOf(f);
    return ranges === undefined || ranges.some((r) => windows.some((w) => rangeTouchesWindow(r, w)));
  });
}

/** Rows the windows hold according to the tags; null when a touching file has none. */
export function expectedRows(files: readonly AddFile[], windows: readonly OffsetWindow[]): number | null {
  let total = 0;
  for (const f of filesTouching(files, windows)) {
    const ranges = rangesOf(f);
    if (ranges === undefined) return null;
    for (const r of ranges) if (windows.some((w) => rangeInWindow(r, w))) total += r.rows;
  }
  return total;
}

/** The epoch day of a file's `_date` partition. */
export function dayOf(file: AddFile): number {
  return Date.parse(`${file.partitionValues._date}T00:00:00Z`) / DAY_MS;
}

export function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}
