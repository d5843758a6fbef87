/**
 * Deduplication across the batch/speed boundary: the duplicate keys (events/duplicates.ts) of the
 * rows a generation's lake snapshot covers, per (event type, UTC date), so that the speed fold drops
 * an event whose first copy the batch part already counted — a client retry after the nightly run.
 *
 * A date is read when an event of it is first folded (the raw table is partitioned by date: its
 * files only, and of their rows only those the generation covers), then kept with the generation's
 * state. Dates without a folded event are never read.
 *
 * A generation's lake rows are the previous generation's plus the new ones (same epoch, watermarks
 * only grow), so a date the previous generation has loaded is shared, not copied: the new one keeps
 * the previous one's key sets and adds a set of the keys of its new rows only. Held twice, today's
 * keys grew by a full copy per generation (the soak's rising floor); shared, the keys of the lake are
 * in memory once. Past MAX_LAYERS sets a date's sets are merged into one, so lookups stay cheap and
 * old generations' sets can go.
 *
 * A date's key sets hold ids only, per bucket (bucketOf): of duplicateKey's identity, the type and the
 * UTC day are the date's, so within a date only the partition, the window bucket and the id tell two
 * events apart. Kept whole, each key was a chain of concatenated strings (~240 bytes a key in a heap
 * profile); an id is the one string the Arrow column already decoded.
 */
import {
  DeltaTable,
  bucketStart,
  coversEvents,
  epochDay,
  lakeLayout,
  readDataFile,
  TimeSlice,
  type DedupWindow,
  type GenerationManifest,
  type ObjectStore,
} from '@lamina/shared';
import { IdSet } from './id-set.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** How long reading keys may hold the event loop (fetches, heartbeats and queries go between). */
const TURN_MS = 10;
/** The raw table's columns a key is made of: the events' own columns are not decoded. */
const KEY_COLUMNS = ['_id', '_ts', '_epoch', '_partition', '_offset'];
/** Key sets per date before they are merged into one. */
const MAX_LAYERS = 8;

/** One generation's keys of a date: per bucket, the ids. */
type Layer = Map<number, IdSet>;

/** What a generation inherits from its predecessor: the key sets it had read, and which rows they cover. */
interface Inherited {
  dates: ReadonlyMap<string, readonly Layer[]>;
  manifest: GenerationManifest;
}

export class LakeKeys {
  /** Per (type, date): key sets, the previous generations' first; a key in any of them is in the lake. */
  private readonly dates = new Map<string, Layer[]>();
  /**
   * The predecessor's key sets as they were when this generation was made, and its coverage — not the
   * predecessor itself: holding it would chain every generation's LakeKeys since the start, and with
   * them sets a merge had replaced.
   */
  private readonly inherited: Inherited | undefined;
  private readonly loading = new Map<string, Promise<void>>();
  /** Nothing to look up: the generation covers no lake row (generation 0, an empty lake). */
  readonly empty: boolean;

  constructor(
    private readonly store: ObjectStore,
    private readonly manifest: GenerationManifest,
    private readonly window: DedupWindow,
    previous?: LakeKeys,
  ) {
    this.empty = !coversEvents(manifest);
    const extends_ = previous !== undefined && !previous.empty && previous.window === window && previous.manifest.epoch === manifest.epoch &&
      previous.manifest.sealedEpochs.length === manifest.sealedEpochs.length &&
      previous.manifest.watermark.every((w, p) => w <= (manifest.watermark[p] ?? 0));
    this.inherited = extends_ ? { dates: new Map(previous.dates), manifest: previous.manifest } : undefined;
  }

  /** Whether the lake rows of the generation hold an earlier copy of this event (its date must be loaded). */
  has(partition: number, type: string, id: string, ts: number): boolean {
    if (this.empty) return false;
    const day = epochDay(ts);
    const layers = this.dates.get(dateKey(type, day));
    if (!layers) throw new Error(`lake keys of ${type} on day ${day} are not loaded: load them before folding`);
    const bucket = this.bucketOf(partition, ts, day);
    for (let i = layers.length - 1; i >= 0; i--) if (layers[i]!.get(bucket)?.has(id)) return true;
    return false;
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
    const keys: Layer = new Map();
    // The predecessor's sets of this date, if it had read it: only rows it does not cover are read into `keys`.
    const inherited = this.inherited?.dates.get(dateKey(type, day));
    const predecessor = this.inherited?.manifest;
    const path = lakeLayout.rawTable(type);
    const version = this.manifest.tableVersions[path];
    // A compacted date of a million rows read in one go held the speed instance past its
    // consumer-group session, and the group dropped it: take turns.
    const slice = new TimeSlice(1, TURN_MS);
    if (version !== undefined) {
      const snapshot = await DeltaTable.open(this.store, path).snapshot(version);
      const date = new Date(day * DAY_MS).toISOString().slice(0, 10);
      for (const file of snapshot.files.filter((f) => f.partitionValues._date === date)) {
        const table = await readDataFile(this.store, snapshot, file, { columns: KEY_COLUMNS });
        // Batch by batch: a column's get() on one batch is direct; on the table it searches the batches.
        for (const batch of table.batches) {
          const ids = batch.getChild('_id')!;
          const times = batch.getChild('_ts')!;
          const epochs = batch.getChild('_epoch')!;
          const partitions = batch.getChild('_partition')!;
          const offsets = batch.getChild('_offset')!;
          for (let i = 0; i < batch.numRows; i++) {
            const partition = partitions.get(i) as number;
            const epoch = epochs.get(i) as number;
            const offset = Number(offsets.get(i) as bigint);
            if (!covers(this.manifest, epoch, partition, offset) || (inherited && covers(predecessor!, epoch, partition, offset))) continue;
            const ts = times.get(i) as number;
            // _date is derived from _ts (raw-table.ts); a row breaking that matches no event of this
            // date by duplicateKey, and here would land in another partition's hour bucket.
            if (epochDay(ts) !== day) continue;
            idsOf(keys, this.bucketOf(partition, ts, day)).add(ids.get(i) as string);
          }
          if (slice.due()) await slice.take();
        }
      }
    }
    const layers = inherited ? [...inherited, keys] : [keys];
    if (layers.length <= MAX_LAYERS) {
      this.dates.set(dateKey(type, day), layers);
      return;
    }
    // Into new sets: the layers' own sets are shared with the generations that hold them.
    const merged: Layer = new Map();
    const mergeSlice = new TimeSlice(16_384, TURN_MS);
    for (const layer of layers) {
      for (const [bucket, ids] of layer) {
        const into = idsOf(merged, bucket);
        for (const id of ids) {
          into.add(id);
          if (mergeSlice.due()) await mergeSlice.take();
        }
      }
    }
    this.dates.set(dateKey(type, day), [merged]);
  }

  /**
   * By duplicateKey, two events of one date are one event only in the same partition and window
   * bucket (bucketStart, which duplicateKey uses): the window's start as an hour of the date (always
   * 0 for a day window), per partition.
   */
  private bucketOf(partition: number, ts: number, day: number): number {
    return partition * 24 + (bucketStart(ts, this.window) - day * DAY_MS) / HOUR_MS;
  }
}

function idsOf(layer: Layer, bucket: number): IdSet {
  let ids = layer.get(bucket);
  if (!ids) layer.set(bucket, (ids = new IdSet()));
  return ids;
}

/** Whether a generation covers this log position: its epoch below the watermark, an earlier one below its sealed frontier. */
function covers(manifest: GenerationManifest, epoch: number, partition: number, offset: number): boolean {
  if (epoch === manifest.epoch) return offset < (manifest.watermark[partition] ?? 0);
  const sealed = manifest.sealedEpochs.find((s) => s.epoch === epoch);
  return sealed !== undefined && offset < (sealed.frontier[partition] ?? 0);
}
function dateKey(type: string, day: number): string {
  return `${type}\u0000${day}`;
}
