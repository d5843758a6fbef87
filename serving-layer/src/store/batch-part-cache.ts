/**
 * The batch part of answers, cached: a generation's batch views never change, so the scan of one
 * (generation, view, query) is done once, and later answers to the same query only merge the realtime
 * part into it (and reuse the results of the groups the realtime part does not touch). Least recently
 * used first out past `maxEntries` or the byte budget (see ByteLru).
 */
import type { ResultRow } from '@lamina/shared';
import { ByteLru } from './byte-lru.js';
import type { ScannedGroups } from './scanned-groups.js';

export interface BatchPart {
  groups: ScannedGroups;
  rowsScanned: number;
  /** Results of groups, computed once (by group slot). */
  results: (ResultRow | undefined)[];
}

/** Per group: its columns' entries and its result row once computed (the sketches' bytes are counted as they are). */
const GROUP_BYTES = 400;
const STATE_BYTES = 48;

export class BatchPartCache {
  private readonly entries: ByteLru<Promise<BatchPart>>;

  constructor(maxEntries: number, maxBytes: number) {
    this.entries = new ByteLru(maxEntries, maxBytes);
  }

  get(key: string, measures: number, compute: () => Promise<Omit<BatchPart, 'results'>>): Promise<BatchPart> {
    const hit = this.entries.get(key);
    if (hit) return hit;
    const part = compute().then((p) => ({ ...p, results: new Array<ResultRow | undefined>(p.groups.size) }));
    this.entries.set(key, part, 0);
    part.then(
      (p) => this.entries.resize(key, p.groups.size * (GROUP_BYTES + STATE_BYTES * measures) + p.groups.sketchBytes),
      () => this.entries.delete(key),
    );
    return part;
  }
}
