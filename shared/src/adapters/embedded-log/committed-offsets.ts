/**
 * Committed offsets, one small JSON file per consumer group: groups/<encoded groupId>.json =
 * { "version": 1, "groupId": …, "topics": { "<topic>": { "<partition>": <next offset to read> } } }.
 * Every commit rewrites the group's file atomically (temp + fsync + rename), so a crash leaves the
 * previous or the new offsets, never a torn file. Commits of one group are serialised.
 */

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptDataError, ValidationError } from '../../errors.js';
import type { RecordPosition } from '../../ports/event-log.js';
import { writeFileAtomic } from './file-io.js';

type GroupOffsets = Map<string, Map<number, number>>;

export class CommittedOffsetStore {
  private readonly groups = new Map<string, Promise<GroupOffsets>>();
  private readonly writes = new Map<string, Promise<void>>();

  constructor(private readonly dir: string, private readonly fsync: boolean) {}

  async get(groupId: string, topic: string): Promise<Map<number, number>> {
    const offsets = await this.load(groupId);
    return new Map(offsets.get(topic) ?? []);
  }

  async commit(groupId: string, topic: string, positions: RecordPosition[]): Promise<void> {
    const previous = this.writes.get(groupId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(async () => {
      const offsets = await this.load(groupId);
      const updated = new Map(offsets);
      const topicOffsets = new Map(updated.get(topic) ?? []);
      for (const { partition, offset } of positions) topicOffsets.set(partition, offset);
      updated.set(topic, topicOffsets);
      await this.persist(groupId, updated);
      // Only a durable commit becomes visible.
      this.groups.set(groupId, Promise.resolve(updated));
    });
    this.writes.set(groupId, next);
    return next;
  }

  /** Resolves once every commit started so far has finished. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.writes.values()]);
  }

  private load(groupId: string): Promise<GroupOffsets> {
    let loaded = this.groups.get(groupId);
    if (!loaded) {
      loaded = this.read(groupId);
      loaded.catch(() => this.groups.delete(groupId));
      this.groups.set(groupId, loaded);
    }
    return loaded;
  }

  private fileFor(groupId: string): string {
    const name = encodeURIComponent(groupId);
    if (groupId.length === 0 || name.length > 200) {
      throw new ValidationError(`consumer group id must be 1 to ~200 characters, got ${JSON.stringify(groupId.slice(0, 40))}…`);
    }
    return join(this.dir, `${name}.json`);
  }

  private async read(groupId: string): Promise<GroupOffsets> {
    const path = this.fileFor(groupId);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as { version: number; topics: Record<string, Record<string, number>> };
      if (parsed.version !== 1 || typeof parsed.topics !== 'object') throw new Error(`unexpected shape (version ${parsed.version})`);
      return new Map(
        Object.entries(parsed.topics).map(([topic, partitions]) => [topic, new Map(Object.entries(partitions).map(([p, o]) => [Number(p), o]))]),
      );
    } catch (error) {
      throw new CorruptDataError(`committed offsets file ${path} cannot be read (${(error as Error).message}); delete it to forget the group's offsets`, { cause: error });
    }
  }

  private async persist(groupId: string, offsets: GroupOffsets): Promise<void> {
    const topics: Record<string, Record<string, number>> = {};
    for (const [topic, partitions] of offsets) topics[topic] = Object.fromEntries([...partitions].sort(([a], [b]) => a - b));
    await writeFileAtomic(this.fileFor(groupId), `${JSON.stringify({ version: 1, groupId, topics }, null, 2)}\n`, this.fsync);
  }
}
