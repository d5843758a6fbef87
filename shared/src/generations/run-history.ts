/**
 * The batch run history: one JSON record per run in the object store (`runs/<20-digit start ms>-<id>.json`),
 * written when the run starts and rewritten as each step ends, so a running step's progress and a
 * crashed run's last step are visible to `lamina batch history` and GraphQL `batchRuns` — and the
 * recent runs' facts are what the volume, distribution and schema gates compare against.
 */
import { CorruptDataError } from '../errors.js';
import { lakeLayout } from '../lake-layout.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { QualityResult } from './manifest.js';

export type RunStatus = 'running' | 'published' | 'gates_failed' | 'failed' | 'skipped';
export type StepStatus = 'running' | 'succeeded' | 'failed';

export interface RunStep {
  name: string;
  status: StepStatus;
  startedAt: string;
  /** Wall time of the step (all attempts); null while it runs. */
  ms: number | null;
  attempts: number;
  /** A running or finished step's work done of its total (tasks, files or rows, as `unit` says). */
  progress?: { done: number; total: number; unit: string; rows?: number };
  error?: string;
}

/** What a run saw of one event type's new events: what the history comparisons read. */
export interface TypeFacts {
  rows: number;
  duplicates: number;
  /** Newest event time among them (ms), null when none. */
  maxEventTime: number | null;
  /** Per declared field: missing values among them, and the mean of numeric ones. */
  fields?: Record<string, { nulls: number; mean: number | null }>;
}

export interface RunRecord {
  id: string;
  /** The generation the run computes (known once planned). */
  generation: number | null;
  status: RunStatus;
  /** Why it ran: `batch run`, `scheduled`, `changed views`, ... */
  trigger: string;
  startedAt: string;
  finishedAt: string | null;
  mode: 'full' | 'incremental' | null;
  steps: RunStep[];
  /** Raw rows the run read (its window, every type) and view rows it wrote. */
  rowsRead: number;
  rowsWritten: number;
  facts: Record<string, TypeFacts>;
  gates: QualityResult[];
  error?: { code: string; message: string };
}

const decoder = new TextDecoder();
const keyPattern = /(\d{20})-([A-Za-z0-9-]+)\.json$/;

export function runKey(record: Pick<RunRecord, 'id' | 'startedAt'>): string {
  return `${lakeLayout.runsPrefix}${String(Date.parse(record.startedAt)).padStart(20, '0')}-${record.id}.json`;
}

export class RunHistory {
  constructor(private readonly store: ObjectStore) {}

  async write(record: RunRecord): Promise<void> {
    await this.store.put(runKey(record), JSON.stringify(record));
  }

  /** The newest `limit` runs, newest first. */
  async recent(limit: number): Promise<RunRecord[]> {
    const keys = await this.keys();
    return Promise.all(keys.slice(-limit).reverse().map((k) => this.read(k.key)));
  }

  /** The newest `limit` runs that published a generation, newest first (the references of the history gates). */
  async recentPublished(limit: number): Promise<RunRecord[]> {
    const keys = (await this.keys()).reverse();
    const found: RunRecord[] = [];
    // One listing; records read newest first, a page at a time, until enough published ones are found.
    const page = Math.max(limit * 2, 10);
    for (let at = 0; at < keys.length && found.length < limit; at += page) {
      const runs = await Promise.all(keys.slice(at, at + page).map((k) => this.read(k.key)));
      for (const run of runs) if (run.status === 'published' && found.length < limit) found.push(run);
    }
    return found;
  }

  /** Keys of runs that started before `before` (ms), oldest first, sparing the newest `keep` runs: what vacuum may remove. */
  async removableKeys(before: number, keep: number): Promise<string[]> {
    const keys = await this.keys();
    return keys.slice(0, Math.max(0, keys.length - keep)).filter((k) => k.started < before).map((k) => k.key);
  }

  /** Every run record's key and start (ms), oldest first. */
  private async keys(): Promise<{ key: string; started: number }[]> {
    const keys: { key: string; started: number }[] = [];
    for await (const info of this.store.list(lakeLayout.runsPrefix)) {
      const m = keyPattern.exec(info.key);
      if (m) keys.push({ key: info.key, started: Number(m[1]) });
    }
    return keys;
  }

  private async read(key: string): Promise<RunRecord> {
    const bytes = await this.store.get(key);
    try {
      return JSON.parse(decoder.decode(bytes)) as RunRecord;
    } catch (cause) {
      throw new CorruptDataError(`run record ${key} is not valid JSON; delete it (it only feeds the history)`, { cause });
    }
  }
}
