/**
 * Measures what a fresh DeltaTable handle pays for snapshot() on a long log, with and without
 * checkpoints: GET and LIST counts, wall time on a local folder, and wall time with a simulated
 * object-store latency per request (S3-like). Not a test; prints a table.
 * Usage: npx tsx shared/test/interop/measure-snapshot-reads.ts [commits=2000] [latencyMs=20]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { LocalObjectStore } from '../../src/adapters/local-object-store/local-object-store.js';
import type { ByteRange, ObjectInfo, ObjectStore } from '../../src/ports/object-store.js';
import { DeltaTable, txnAction, type AddFile } from '../../src/lake/index.js';

const commits = Number(process.argv[2] ?? 2000);
const latencyMs = Number(process.argv[3] ?? 20);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counts requests; optionally delays each GET and each LIST page of 1000 keys like a remote store. */
class MeteredStore implements ObjectStore {
  gets = 0;
  listPages = 0;
  constructor(private readonly inner: ObjectStore, private readonly delay: number) {}
  async get(key: string, range?: ByteRange) { this.gets++; await sleep(this.delay); return this.inner.get(key, range); }
  async tryGet(key: string) { this.gets++; await sleep(this.delay); return this.inner.tryGet(key); }
  head(key: string) { return this.inner.head(key); }
  put(key: string, body: Uint8Array | string) { return this.inner.put(key, body); }
  putIfAbsent(key: string, body: Uint8Array | string) { return this.inner.putIfAbsent(key, body); }
  delete(key: string) { return this.inner.delete(key); }
  async *list(prefix: string, options?: { startAfter?: string }): AsyncIterable<ObjectInfo> {
    let n = 0;
    for await (const info of this.inner.list(prefix, options)) {
      if (n++ % 1000 === 0) { this.listPages++; await sleep(this.delay); }
      yield info;
    }
    if (n === 0) { this.listPages++; await sleep(this.delay); }
  }
}

const schema = new arrow.Schema([new arrow.Field('id', new arrow.Int64(), false)]);
const add = (i: number): AddFile => ({
  path: `part-${String(i).padStart(6, '0')}-0b6a3c1e-8d7f-4c52-9a43-${String(i).padStart(12, '0')}.zstd.parquet`,
  partitionValues: {}, size: 123_456, modificationTime: 1_700_000_000_000 + i, dataChange: true,
  stats: JSON.stringify({ numRecords: 5000, minValues: { id: i * 5000 }, maxValues: { id: i * 5000 + 4999 }, nullCount: { id: 0 } }),
});

const root = await mkdtemp(join(tmpdir(), 'lamina-measure-'));
const store = new LocalObjectStore({ root });
try {
  const build = async (path: string, interval: number) => {
    const t = DeltaTable.open(store, path, { checkpointInterval: interval });
    await t.createIfMissing(schema);
    const started = performance.now();
    for (let v = 1; v <= commits; v++) await t.commit(v - 1, [{ add: add(v) }, txnAction(`events/${v % 6}`, v)]);
    return (performance.now() - started) / commits;
  };
  const perCommitWith = await build('with', 100);
  const perCommitWithout = await build('without', 0);
  console.log(`${commits} commits, one add + one txn each; average commit ${perCommitWith.toFixed(2)} ms with checkpoints (interval 100), ${perCommitWithout.toFixed(2)} ms without`);

  const measure = async (path: string, delay: number) => {
    const times: number[] = [];
    let metered!: MeteredStore;
    let version = -1;
    for (let run = 0; run < (delay ? 2 : 5); run++) {
      metered = new MeteredStore(store, delay);
      const started = performance.now();
      const snap = await DeltaTable.open(metered, path).snapshot();
      times.push(performance.now() - started);
      version = snap.version;
    }
    times.sort((a, b) => a - b);
    return { version, gets: metered.gets, listPages: metered.listPages, ms: times[Math.floor(times.length / 2)]! };
  };
  console.log('\nfresh handle, snapshot() of the newest version:');
  console.log('table                 | latency/request | GETs | LIST pages | wall time (median)');
  for (const delay of [0, latencyMs]) {
    for (const path of ['without', 'with']) {
      const m = await measure(path, delay);
      console.log(`${path === 'with' ? 'with checkpoints   ' : 'JSON-only log      '}   | ${String(delay).padStart(6)} ms       | ${String(m.gets).padStart(4)} | ${String(m.listPages).padStart(10)} | ${m.ms.toFixed(1)} ms (v${m.version})`);
    }
  }

  console.log('\ncheckpoint size and cost by live files (one commit holding all adds, then checkpoint()):');
  for (const files of [2_000, 50_000]) {
    const t = DeltaTable.open(store, `big${files}`, { checkpointInterval: 0 });
    await t.createIfMissing(schema);
    await t.commit(0, Array.from({ length: files }, (_, i) => ({ add: add(i) })));
    let started = performance.now();
    const info = await t.checkpoint();
    const writeMs = performance.now() - started;
    started = performance.now();
    const snap = await DeltaTable.open(store, `big${files}`).snapshot();
    const readMs = performance.now() - started;
    console.log(`${String(files).padStart(6)} files: checkpoint ${(info.sizeInBytes / 1024).toFixed(0)} KiB, write ${writeMs.toFixed(0)} ms, fresh snapshot through it ${readMs.toFixed(0)} ms (${snap.files.length} files)`);
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
