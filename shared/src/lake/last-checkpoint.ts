/**
 * `_delta_log/_last_checkpoint` (PROTOCOL.md "Last Checkpoint File"): a hint naming a recent checkpoint,
 * so a fresh reader lists the log from there instead of from version 0. Only a hint: readers confirm
 * the checkpoint by listing, and a missing, stale or damaged hint costs time, never correctness.
 */
import { createHash } from 'node:crypto';
import { CorruptDataError } from '../errors.js';
import type { ObjectStore } from '../ports/object-store.js';
import { lastCheckpointKey } from './log-files.js';

export interface LastCheckpoint {
  version: number;
  /** Number of actions (rows) in the checkpoint. */
  size: number;
  /** Present for multi-part checkpoints, which Lamina does not read. */
  parts?: number;
  sizeInBytes?: number;
  numOfAddFiles?: number;
}

/** The hint, or undefined if there is none; CorruptDataError if it is not a usable hint. */
export async function readLastCheckpoint(store: ObjectStore, tablePath: string): Promise<LastCheckpoint | undefined> {
  const key = lastCheckpointKey(tablePath);
  const bytes = await store.tryGet(key);
  if (!bytes) return undefined;
  let parsed: Partial<LastCheckpoint>;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes)) as Partial<LastCheckpoint>;
  } catch (cause) {
    throw new CorruptDataError(`${key} is not valid JSON; ignoring it and listing the log instead`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || !Number.isSafeInteger(parsed.version) || parsed.version! < 0) {
    throw new CorruptDataError(`${key} has no valid "version"; ignoring it and listing the log instead`);
  }
  return parsed as LastCheckpoint;
}

/**
 * Points the hint at `info` unless it already names the same or a newer checkpoint (racing writers
 * may still move it back; a stale hint is only slower to use).
 */
export async function writeLastCheckpoint(store: ObjectStore, tablePath: string, info: LastCheckpoint): Promise<void> {
  const current = await readLastCheckpoint(store, tablePath).catch(() => undefined);
  if (current && current.version >= info.version) return;
  const body: Record<string, unknown> = { ...info };
  body.checksum = lastCheckpointChecksum(body);
  await store.put(lastCheckpointKey(tablePath), JSON.stringify(body));
}

/** MD5 of the canonical form of the JSON (PROTOCOL.md "JSON checksum"); the top-level `checksum` is left out. */
export function lastCheckpointChecksum(json: Record<string, unknown>): string {
  const pairs: [string, string][] = [];
  const walk = (path: string, value: unknown) => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(join(path, String(i)), v));
    else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(join(path, quote(k)), v);
    else pairs.push([path, typeof value === 'string' ? quote(value) : JSON.stringify(value)]);
  };
  for (const [k, v] of Object.entries(json)) if (k !== 'checksum') walk(quote(k), v);
  // Paths are ASCII after encoding, so UTF-16 order is the byte order the protocol asks for.
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonical = pairs.map(([p, v]) => `${p}=${v}`).join(',');
  return createHash('md5').update(canonical).digest('hex');
}

const join = (path: string, segment: string) => `${path}+${segment}`;
/** URL-encodes all but a-z A-Z 0-9 - . _ ~ (encodeURIComponent also spares ! ' ( ) *). */
const quote = (s: string) => `"${encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}"`;
