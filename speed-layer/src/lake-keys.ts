/**
 * Deduplication across the batch/speed boundary: the duplicate keys (events/duplicates.ts) of the
 * rows a generation's lake snapshot covers, per (event type, UTC date), so that the speed fold drops
 * an event whose first copy the batch part already counted — a client retry after the nightly run.
 *
 * A date is read when an event of it is first folded (the raw table is partitioned by date: its
 * files only, and of their rows only those the generation covers), then kept with the generation's
 * state. Dates without a folded event are never read.
 */
import {
  DeltaTable,
  coversEvents,
  duplicateKey,
  epochDay,
  lakeLayout,
  readDataFile,
  type DedupWindow,
  type GenerationManifest,
  type ObjectStore,
} from '@lamina/shared';

const DAY_MS = 86_400_000;

export class LakeKeys {
  private readonly dates = new Map<string, Set<string>>();
  private readonly loading = new Map<string, Promise<void>>();
  /** Nothing to look up: the generation covers no lake row (generation 0, an empty lake). */
  readonly empty: boolean;

  constructor(
    private readonly store: ObjectStore,
    private readonly manifest: GenerationManifest,
    private readonly window: DedupWindow,
  ) {
    this.empty = !coversEvents(manifest);
  }

  /** Whether the lake rows of the generation hold an earlier copy of this event (its date must be loaded). */
  has(partition: number, type: string, id: string, ts: number): boolean {
    if (this.empty) return false;
    const keys = this.dates.get(dateKey(type, epochDay(ts)));
    if (!keys) throw new Error(`lake keys of ${type} on day ${epochDay(ts)} are not loaded: load them before folding`);
    return keys.has(`${partition}\u0000${duplicateKey(type, id, ts, this.window)}`);
  }

  /** Loads the dates of these events not loaded yet (a no-op, synchronously checked, when all are). */
  async load(events: Iterable<{ type: string; ts: number }>): Promise<void> {
    if (this.empty) return;
    const pending: Promise<void>[] = [];
    for (const { type, ts } of events) {
      const key = dateKey(type, epochDay(ts));
      if (this.dates.has(key)) continue;
      let loading = this.loading.get(key);
      if (!loading) {
        loading = this.loadDate(type, epochDay(ts)).finally(() => this.loading.delete(key));
        this.loading.set(key, loading);
      }
      pending.push(loading);
    }
    if (pending.length > 0) await Promise.all(pending);
  }

  private async loadDate(type: string, day: number): Promise<void> {
    const keys = new Set<string>();
    const path = lakeLayout.rawTable(type);
    const version = this.manifest.tableVersions[path];
    if (version !== undefined) {
      const snapshot = await DeltaTable.open(this.store, path).snapshot(version);
      const date = new Date(day * DAY_MS).toISOString().slice(0, 10);
      for (const file of snapshot.files.filter((f) => f.partitionValues._date === date)) {
        const table = await readDataFile(this.store, snapshot, file);
        const ids = table.getChild('_id')!;
        const times = table.getChild('_ts')!;
        const epochs = table.getChild('_epoch')!;
        const partitions = table.getChild('_partition')!;
        const offsets = table.getChild('_offset')!;
        for (let i = 0; i < table.numRows; i++) {
          const partition = partitions.get(i) as number;
          if (!this.covers(epochs.get(i) as number, partition, Number(offsets.get(i) as bigint))) continue;
          keys.add(`${partition}\u0000${duplicateKey(type, ids.get(i) as string, times.get(i) as number, this.window)}`);
        }
      }
    }
    this.dates.set(dateKey(type, day), keys);
  }

  /** Whether the generation covers this log position: its epoch below the watermark, an earlier one below its sealed frontier. */
  private covers(epoch: number, partition: number, offset: number): boolean {
    if (epoch === this.manifest.epoch) return offset < (this.manifest.watermark[partition] ?? 0);
    const sealed = this.manifest.sealedEpochs.find((s) => s.epoch === epoch);
    return sealed !== undefined && offset < (sealed.frontier[partition] ?? 0);
  }
}

function dateKey(type: string, day: number): string {
  return `${type}\u0000${day}`;
}
