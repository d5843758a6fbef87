/**
 * LakeKeys against a real raw table: an event is a copy of a lake row exactly when duplicateKey says
 * so (same partition, type, id and window bucket), whichever generation's layer holds the row and
 * after the layers are merged.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeltaTable,
  LocalObjectStore,
  RAW_PARTITION_COLUMNS,
  RawRowsBuilder,
  duplicateKey,
  genesisManifest,
  lakeLayout,
  rawTableSchema,
  type DedupWindow,
  type GenerationManifest,
} from '@lamina/shared';
import { LakeKeys } from '../src/lake-keys.js';

const HOUR = 3_600_000;
const DAY = Date.UTC(2026, 10, 20);
const TYPE = 'page_view';
const PARTITIONS = 2;

let root: string;
let n = 0;
before(async () => (root = await mkdtemp(join(tmpdir(), 'lamina-lake-keys-'))));
after(() => rm(root, { recursive: true, force: true }));

interface Row { partition: number; id: string; ts: number }

/** A lake of one raw table; each append is one batch run's rows, and yields that generation's manifest. */
async function lake() {
  const store = new LocalObjectStore({ root: join(root, `lake${++n}`) });
  const table = DeltaTable.open(store, lakeLayout.rawTable(TYPE));
  let version = (await table.createIfMissing(rawTableSchema([]), { partitionColumns: RAW_PARTITION_COLUMNS })).version;
  const watermark = new Array<number>(PARTITIONS).fill(0);
  let generation = 0;
  return {
    store,
    async append(rows: Row[]): Promise<GenerationManifest> {
      const builder = new RawRowsBuilder([], 1);
      for (const r of rows) builder.add({ id: r.id, type: TYPE, ts: r.ts, data: {} }, { epoch: 0, partition: r.partition, offset: watermark[r.partition]!++, logTime: r.ts });
      const adds = await Promise.all([...builder.tables()].map(async ({ table: t }) => ({ add: await table.writeDataFile(t) })));
      version = await table.commit(version, adds);
      return { ...genesisManifest('events', PARTITIONS), generation: ++generation, tableVersions: { [lakeLayout.rawTable(TYPE)]: version }, watermark: [...watermark] };
    },
  };
}

async function loaded(keys: LakeKeys, ...ts: number[]): Promise<LakeKeys> {
  await keys.load(ts.map((t) => ({ type: TYPE, ts: t })));
  return keys;
}

/** What duplicateKey says about `event` given the lake's rows: the reference LakeKeys must agree with. */
function isCopy(rows: readonly Row[], event: Row, window: DedupWindow): boolean {
  const key = (r: Row) => `${r.partition}\u0000${duplicateKey(TYPE, r.id, r.ts, window)}`;
  return rows.some((r) => key(r) === key(event));
}

const lakeRows: Row[] = [
  { partition: 0, id: 'a', ts: DAY + 10 * HOUR + 5 * 60_000 },
  { partition: 1, id: 'b', ts: DAY },
  { partition: 1, id: 'c', ts: DAY + 24 * HOUR - 1 },
];
const probes: Row[] = [
  { partition: 0, id: 'a', ts: DAY + 10 * HOUR },
  { partition: 0, id: 'a', ts: DAY + 11 * HOUR - 1 },
  { partition: 0, id: 'a', ts: DAY + 11 * HOUR },
  { partition: 0, id: 'a', ts: DAY + 9 * HOUR },
  { partition: 0, id: 'a', ts: DAY + 23 * HOUR },
  { partition: 1, id: 'a', ts: DAY + 10 * HOUR },
  // Buckets that a bucket number mixing partition and hour carelessly would confuse with b's (partition 1, hour 0).
  { partition: 0, id: 'b', ts: DAY },
  { partition: 0, id: 'b', ts: DAY + HOUR },
  { partition: 1, id: 'b', ts: DAY + 30 * 60_000 },
  { partition: 1, id: 'b', ts: DAY + HOUR },
  { partition: 1, id: 'c', ts: DAY + 23 * HOUR },
  { partition: 1, id: 'c', ts: DAY + 22 * HOUR },
  { partition: 0, id: 'c', ts: DAY + 23 * HOUR },
  { partition: 0, id: 'z', ts: DAY + 10 * HOUR },
];

for (const window of ['hour', 'day'] as const) {
  test(`window ${window}: a copy of a lake row exactly when duplicateKey matches (same partition, id and ${window})`, async () => {
    const l = await lake();
    const keys = await loaded(new LakeKeys(l.store, await l.append(lakeRows), window), DAY);
    for (const p of probes) assert.equal(keys.has(p.partition, TYPE, p.id, p.ts), isCopy(lakeRows, p, window), `${JSON.stringify(p)}`);
    // The next day is another date: its copies are not the first day's.
    await keys.load([{ type: TYPE, ts: DAY + 24 * HOUR }]);
    assert.equal(keys.has(0, TYPE, 'a', DAY + 24 * HOUR + 10 * HOUR), false);
  });
}

test('window hour: as in the speed fold, same id same hour is a copy, another hour is not, another partition is not', async () => {
  const l = await lake();
  const manifest = await l.append(lakeRows);
  const keys = await loaded(new LakeKeys(l.store, manifest, 'hour'), DAY);
  assert.equal(keys.has(0, TYPE, 'a', DAY + 10 * HOUR + 59 * 60_000), true);
  assert.equal(keys.has(0, TYPE, 'a', DAY + 11 * HOUR), false);
  assert.equal(keys.has(1, TYPE, 'a', DAY + 10 * HOUR), false);
  const days = await loaded(new LakeKeys(l.store, manifest, 'day'), DAY);
  assert.equal(days.has(0, TYPE, 'a', DAY + 23 * HOUR), true, 'window day: another hour of the same day is a copy');
});

test('over more generations than layers are kept, each generation finds every earlier row in its own bucket only', async () => {
  for (const window of ['hour', 'day'] as const) {
    const l = await lake();
    const all: Row[] = [];
    let keys: LakeKeys | undefined;
    for (let g = 0; g < 12; g++) {
      const rows: Row[] = [{ partition: g % PARTITIONS, id: `e${g}`, ts: DAY + (g * 2 + 1) * HOUR }, { partition: (g + 1) % PARTITIONS, id: 'shared', ts: DAY + g * HOUR }];
      all.push(...rows);
      keys = await loaded(new LakeKeys(l.store, await l.append(rows), window, keys), DAY, DAY + 24 * HOUR);
      for (const probe of [...all, ...all.map((r) => ({ ...r, ts: r.ts + HOUR })), ...all.map((r) => ({ ...r, partition: (r.partition + 1) % PARTITIONS }))]) {
        assert.equal(keys.has(probe.partition, TYPE, probe.id, probe.ts), isCopy(all, probe, window), `window ${window}, generation ${g + 1}: ${JSON.stringify(probe)}`);
      }
    }
  }
});
