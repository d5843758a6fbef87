/** The SQL condition "this row's log position lies in one of the windows". */
import type { OffsetWindow } from '@lamina/shared';

export function windowPredicate(windows: readonly OffsetWindow[]): string {
  const byEpoch: string[] = [];
  for (const w of windows) {
    const parts: string[] = [];
    const partitions = Math.max(w.from.length, w.to.length);
    for (let p = 0; p < partitions; p++) {
      const from = w.from[p] ?? 0;
      const to = w.to[p] ?? 0;
      if (to <= from) continue;
      parts.push(from === 0 ? `(_partition = ${p} AND _offset < ${to})` : `(_partition = ${p} AND _offset >= ${from} AND _offset < ${to})`);
    }
    if (parts.length > 0) byEpoch.push(`(_epoch = ${w.epoch} AND (${parts.join(' OR ')}))`);
  }
  return byEpoch.length === 0 ? 'FALSE' : `(${byEpoch.join(' OR ')})`;
}
