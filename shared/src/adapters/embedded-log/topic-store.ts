/**
 * Topic folders: topics/<name>/topic.json ({ "version": 1, "partitions": n }) and one
 * partition-<p>.log per partition. Creation order makes a crash harmless: the partition files
 * (empty) are created first, topic.json last and atomically — a folder without topic.json is an
 * unfinished creation that never accepted a record, and is completed by the next ensureTopic.
 */

import { mkdir, open, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptDataError, ValidationError } from '../../errors.js';
import { fsyncDir, writeFileAtomic } from './file-io.js';

/** Kafka's legal topic names, so that a topic can move between the embedded log and Kafka unchanged. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
export const MAX_PARTITIONS = 10_000;

export function validateTopicName(topic: string): void {
  if (typeof topic !== 'string' || !TOPIC_NAME.test(topic) || topic === '.' || topic === '..') {
    throw new ValidationError(`topic name ${JSON.stringify(topic)} is not valid: use 1-249 characters of a-z A-Z 0-9 . _ - (not "." or "..")`);
  }
}

export function partitionFile(topicDir: string, partition: number): string {
  return join(topicDir, `partition-${partition}.log`);
}

/** The partition count in topic.json, or null when the folder holds no (finished) topic. */
export async function readTopicMeta(topicDir: string): Promise<number | null> {
  let text: string;
  try {
    text = await readFile(join(topicDir, 'topic.json'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let partitions: unknown;
  try {
    partitions = (JSON.parse(text) as { partitions?: unknown }).partitions;
  } catch (error) {
    throw new CorruptDataError(`${join(topicDir, 'topic.json')} is not valid JSON; restore it (it holds {"version":1,"partitions":<count>})`, { cause: error });
  }
  if (!Number.isInteger(partitions) || (partitions as number) < 1 || (partitions as number) > MAX_PARTITIONS) {
    throw new CorruptDataError(`${join(topicDir, 'topic.json')} has an invalid partition count ${JSON.stringify(partitions)}`);
  }
  return partitions as number;
}

/** Names of the topic folders under `topicsDir`. */
export async function listTopicDirs(topicsDir: string): Promise<string[]> {
  const entries = await readdir(topicsDir, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory() && TOPIC_NAME.test(e.name)).map((e) => e.name);
}

export async function createTopicFiles(topicsDir: string, topic: string, partitions: number, fsync: boolean): Promise<void> {
  const topicDir = join(topicsDir, topic);
  await mkdir(topicDir, { recursive: true });
  if (fsync) await fsyncDir(topicsDir);
  for (let p = 0; p < partitions; p++) {
    // 'w' truncates leftovers of an unfinished creation: they never held an acknowledged record.
    const fh = await open(partitionFile(topicDir, p), 'w');
    await fh.close();
  }
  if (fsync) await fsyncDir(topicDir);
  await writeFileAtomic(join(topicDir, 'topic.json'), `${JSON.stringify({ version: 1, partitions })}\n`, fsync);
}
