/**
 * Retention (`lamina lake vacuum`, and the batch run's clean-up step when `lake.retentionDays` is
 * set): removes what no live generation reads and that is older than the retention age —
 *   - generation manifests, except the newest `keepGenerations` and those younger than the age;
 *   - data files of raw and view tables that no snapshot a live generation pins (nor the table's
 *     newest one) references: compacted raw files, rewritten view dates (Delta's VACUUM);
 *   - whole view tables of old definitions that no live generation reads;
 *   - run history records and leases past the age (the newest 100 runs stay).
 * The age guard also spares files a running archiver or batch has written but not committed yet.
 * Time travel to versions older than the age then fails: that is what retention means.
 */
import { DeltaTable, GenerationStore, RunHistory, dataFileKey, lakeLayout, type GenerationManifest, type LaminaConfig, type Logger, type ObjectInfo, type ObjectStore } from '@lamina/shared';

export interface VacuumOptions {
  /** Objects younger than this are never removed. */
  olderThanMs: number;
  /** The newest generations always kept, whatever their age (at least 1). */
  keepGenerations: number;
  /** Report what would be removed, remove nothing. */
  dryRun: boolean;
  now?: number;
}

export interface VacuumReport {
  dryRun: boolean;
  generations: number[];
  dataFiles: number;
  bytes: number;
  viewTables: string[];
  runRecords: number;
}

const KEEP_RUNS = 100;

export async function vacuumLake(store: ObjectStore, config: LaminaConfig, options: VacuumOptions, logger: Logger): Promise<VacuumReport> {
  const cutoff = (options.now ?? Date.now()) - options.olderThanMs;
  const old = (info: ObjectInfo) => info.lastModified.getTime() < cutoff;
  const report: VacuumReport = { dryRun: options.dryRun, generations: [], dataFiles: 0, bytes: 0, viewTables: [], runRecords: 0 };
  const remove = async (key: string) => {
    if (!options.dryRun) await store.delete(key);
  };

  const generations = new GenerationStore(store);
  const all = await generations.list();
  const keepNewest = new Set(all.slice(-Math.max(1, options.keepGenerations)).map((g) => g.generation));
  const live: GenerationManifest[] = [];
  const expired: typeof all = [];
  for (const g of all) {
    if (keepNewest.has(g.generation) || g.lastModified.getTime() >= cutoff) live.push(await generations.get(g.generation));
    else expired.push(g);
  }

  // Table path -> versions a live generation pins.
  const pinned = new Map<string, Set<number>>();
  const pin = (table: string, version: number) => (pinned.get(table) ?? pinned.set(table, new Set()).get(table)!).add(version);
  for (const m of live) {
    for (const [table, version] of Object.entries(m.tableVersions)) pin(table, version);
    for (const ref of Object.values(m.views)) {
      pin(ref.table, ref.version);
      for (const rollup of Object.values(ref.rollups ?? {})) if (rollup) pin(rollup.table, rollup.version);
    }
  }

  // Every table root in the lake: raw tables, quarantine, view tables (views/<view>/<fingerprint>).
  const roots = new Set<string>([...Object.keys(config.eventTypes).map((t) => lakeLayout.rawTable(t)), lakeLayout.quarantineTable]);
  const objects = new Map<string, ObjectInfo[]>();
  for (const prefix of ['lake/raw/', `${lakeLayout.quarantineTable}/`, 'views/']) {
    for await (const info of store.list(prefix)) {
      const parts = info.key.split('/');
      const root = prefix === 'views/' ? parts.slice(0, 3).join('/') : prefix === 'lake/raw/' ? parts.slice(0, 3).join('/') : lakeLayout.quarantineTable;
      roots.add(root);
      (objects.get(root) ?? objects.set(root, []).get(root)!).push(info);
    }
  }

  for (const root of roots) {
    const infos = objects.get(root) ?? [];
    if (infos.length === 0) continue;
    const isView = root.startsWith('views/');
    if (isView && !pinned.has(root)) {
      // A definition no live generation reads: the whole table goes once all of it is old.
      if (infos.every(old)) {
        report.viewTables.push(root);
        for (const info of infos) await remove(info.key);
      }
      continue;
    }
    const table = DeltaTable.open(store, root);
    if (!(await table.exists())) continue;
    const keep = new Set<string>();
    const versions = new Set([...(pinned.get(root) ?? [])]);
    for (const version of [...versions, undefined]) {
      const snapshot = await table.snapshot(version).catch((error: unknown) => {
        logger.warn({ err: error, table: root, version }, 'vacuum: a pinned version cannot be read; keeping every file of this table');
        return undefined;
      });
      if (!snapshot) {
        keep.add('*');
        break;
      }
      for (const f of snapshot.files) keep.add(dataFileKey(root, f.path));
    }
    if (keep.has('*')) continue;
    for (const info of infos) {
      if (info.key.includes('/_delta_log/') || keep.has(info.key) || !old(info)) continue;
      report.dataFiles++;
      report.bytes += info.size;
      await remove(info.key);
    }
  }

  for (const g of expired) {
    report.generations.push(g.generation);
    await remove(g.key);
  }

  const history = new RunHistory(store);
  const removable = await history.removableKeys(cutoff, KEEP_RUNS);
  for (const key of removable) await remove(key);
  report.runRecords = removable.length;
  const oldestLive = Math.min(...live.map((m) => m.generation));
  for await (const info of store.list(lakeLayout.leasePrefix)) {
    const generation = Number(info.key.slice(lakeLayout.leasePrefix.length).split('.')[0]);
    if (generation < oldestLive && old(info)) await remove(info.key);
  }
  logger.info(report, options.dryRun ? 'vacuum: would remove (dry run)' : 'vacuum: removed');
  return report;
}
