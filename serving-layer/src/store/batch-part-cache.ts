/**
 * The batch part of answers, cached: a generation's batch views never change, so the scan of one
 * (generation, view, query) is done once, and later answers to the same query only merge the realtime
 * part into it (and reuse the results of the groups the realtime part does not touch). Least recently
 * used first out past `maxEntries`.
 */
import type { GroupRow, ResultRow } from '@lamina/shared';

export interface BatchPart {
  groups: Map<string, GroupRow>;
  rowsScanned: number;
  /** Results of groups, computed once (by group key). */
  results: Map<string, ResultRow>;
}

export class BatchPartCache {
  private readonly entries = new Map<string, Promise<BatchPart>>();

  constructor(private readonly maxEntries: number) {}

  get(key: string, compute: () => Promise<Omit<BatchPart, 'results'>>): Promise<BatchPart> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const part = compute().then((p) => ({ ...p, results: new Map<string, ResultRow>() }));
    this.entries.set(key, part);
    part.catch(() => this.entries.delete(key));
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return part;
  }
}
