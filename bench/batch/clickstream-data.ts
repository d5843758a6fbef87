/**
 * Generates the benchmark's clickstream straight into Lamina's raw table, as the archiver would have
 * written it after a bulk load: page_view events of `users` users over `days` days, urls and countries
 * Zipf-distributed, in log order (event time grows with the offset), `partitions` log partitions,
 * one commit per chunk of events (a data file per event date, tagged with its offset ranges), then
 * the frontier commit. Column-wise, from a seeded PRNG: the same arguments give the same files.
 */
import * as arrow from 'apache-arrow';
import { RANGES_TAG, commitWithRetry, encodeEvent, formatRanges, txnAppId, type AddFile, type EventLog, type LaminaConfig, type LaminaLake, type OffsetRange } from '@lamina/shared';

export interface ClickstreamSpec {
  events: number;
  users: number;
  urls: number;
  countries: number;
  days: number;
  /** First event time (ms). */
  start: number;
  seed: number;
  /** Offsets already in the log per partition (for appending a later batch of events). */
  firstOffsets?: number[];
  /** Rows per commit. */
  chunk?: number;
}

const DAY_MS = 86_400_000;

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function zipf(n: number, s: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) cdf[k] = total += 1 / (k + 1) ** s;
  return () => {
    const u = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** Where the events go first when the benchmark needs a real log (Kafka): positions come from it. */
export type EventSink = Pick<EventLog, 'produce'> & { topic: string };

/**
 * Appends `spec.events` page views to the lake; returns the offsets now in the log per partition.
 * With a sink, the events are produced to it first and the lake rows get the positions it gave —
 * a lake and a log that agree, as if the archiver had archived them.
 */
export async function writeClickstream(lake: LaminaLake, config: LaminaConfig, spec: ClickstreamSpec, sink?: EventSink): Promise<number[]> {
  const random = prng(spec.seed);
  const url = zipf(spec.urls, 1.1, random);
  const country = zipf(spec.countries, 1.0, random);
  const urls = Array.from({ length: spec.urls }, (_, i) => `/page/${i}`);
  const countries = Array.from({ length: spec.countries }, (_, i) => `C${String.fromCharCode(65 + (i % 26))}${i}`);
  const users = Array.from({ length: spec.users }, (_, i) => `user-${i}`);
  const partitions = config.partitions;
  const next = spec.firstOffsets ? [...spec.firstOffsets] : new Array<number>(partitions).fill(0);
  const table = lake.raw.get('page_view')!;
  const { current } = lake.schemas.get('page_view')!;
  const chunk = spec.chunk ?? 250_000;
  const span = spec.days * DAY_MS;
  const logTime = Date.now();
  for (let done = 0; done < spec.events; done += chunk) {
    const n = Math.min(chunk, spec.events - done);
    const from = [...next];
    // Event times in log order within the chunk's slice of the time span.
    const ts = new Float64Array(n);
    const user = new Int32Array(n);
    const urlOf = new Int32Array(n);
    const countryOf = new Int32Array(n);
    const duration = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      ts[i] = Math.floor(spec.start + ((done + i + random()) / spec.events) * span);
      user[i] = Math.floor(random() * spec.users);
      urlOf[i] = url();
      countryOf[i] = country();
      duration[i] = Math.round(Math.exp(5 + 1.2 * gaussian(random)));
    }
    const id = (i: number) => `ev-${spec.seed}-${done + i}`;
    const partition = new Int32Array(n);
    const offset = new Float64Array(n);
    if (sink) {
      for (let at = 0; at < n; at += PRODUCE_BATCH) {
        const end = Math.min(n, at + PRODUCE_BATCH);
        const records = [];
        for (let i = at; i < end; i++) {
          const data = { url: urls[urlOf[i]!]!, country: countries[countryOf[i]!]!, userId: users[user[i]!]!, durationMs: duration[i]! };
          records.push({ key: data.userId, value: encodeEvent({ id: id(i), type: 'page_view', ts: ts[i]!, data }) });
        }
        const positions = await sink.produce(sink.topic, records);
        positions.forEach((pos, k) => {
          partition[at + k] = pos.partition;
          offset[at + k] = pos.offset;
          next[pos.partition] = Math.max(next[pos.partition]!, pos.offset + 1);
        });
      }
    } else {
      for (let i = 0; i < n; i++) {
        partition[i] = user[i]! % partitions;
        offset[i] = next[partition[i]!]!++;
      }
    }
    const byDay = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const day = Math.floor(ts[i]! / DAY_MS);
      const list = byDay.get(day);
      if (list) list.push(i);
      else byDay.set(day, [i]);
    }
    await commitWithRetry(table, async (snapshot) => {
      const files: AddFile[] = [];
      for (const [day, rows] of byDay) {
        const count = rows.length;
        const perPartition = new Map<number, number>();
        for (const i of rows) perPartition.set(partition[i]!, (perPartition.get(partition[i]!) ?? 0) + 1);
        const columns: Record<string, arrow.Vector> = {
          _id: arrow.vectorFromArray(rows.map(id), new arrow.Utf8()),
          _ts: arrow.vectorFromArray(rows.map((i) => ts[i]!), new arrow.TimestampMicrosecond('UTC')),
          _date: arrow.vectorFromArray(new Array<number>(count).fill(day * DAY_MS), new arrow.DateDay()),
          _key: arrow.vectorFromArray(rows.map((i) => users[user[i]!]!), new arrow.Utf8()),
          _epoch: arrow.makeVector(new Int32Array(count)),
          _partition: arrow.makeVector(Int32Array.from(rows, (i) => partition[i]!)),
          _offset: arrow.makeVector(BigInt64Array.from(rows, (i) => BigInt(offset[i]!))),
          _log_ts: arrow.vectorFromArray(new Array<number>(count).fill(logTime), new arrow.TimestampMicrosecond('UTC')),
          _schema_version: arrow.makeVector(new Int32Array(count).fill(current.version)),
          _extra: arrow.vectorFromArray(new Array<string | null>(count).fill(null), new arrow.Utf8()),
          url: arrow.vectorFromArray(rows.map((i) => urls[urlOf[i]!]!), new arrow.Utf8()),
          country: arrow.vectorFromArray(rows.map((i) => countries[countryOf[i]!]!), new arrow.Utf8()),
          userId: arrow.vectorFromArray(rows.map((i) => users[user[i]!]!), new arrow.Utf8()),
          durationMs: arrow.makeVector(Float64Array.from(rows, (i) => duration[i]!)),
          referrer: arrow.vectorFromArray(new Array<string | null>(count).fill(null), new arrow.Utf8()),
        };
        const ranges: OffsetRange[] = [...perPartition].map(([p, rowsOfP]) => ({ epoch: 0, partition: p, from: from[p]!, to: next[p]!, rows: rowsOfP }));
        files.push(await table.writeDataFile(new arrow.Table(columns), { snapshot, tags: { [RANGES_TAG]: formatRanges(ranges) } }));
      }
      return { actions: [...files.map((add) => ({ add })), ...txnsOf(config, from, next, logTime)], files, value: undefined, options: { operation: 'LAMINA archive' } };
    });
    await commitWithRetry(lake.frontier, async () => ({ actions: txnsOf(config, from, next, logTime), files: [], value: undefined, options: { operation: 'LAMINA frontier' } }));
  }
  return next;
}

const PRODUCE_BATCH = 10_000;

function txnsOf(config: LaminaConfig, from: readonly number[], next: readonly number[], now: number) {
  return from.flatMap((f, p) => (next[p]! > f ? [{ txn: { appId: txnAppId(config.topic, p), version: next[p]! - 1, lastUpdated: now } }] : []));
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}
