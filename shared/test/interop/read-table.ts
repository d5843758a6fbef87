/**
 * Reads a Delta table with Lamina and prints what it sees, for checkpoint_interop.py to compare with
 * delta-rs. Usage: npx tsx shared/test/interop/read-table.ts <folder> <tablePath> [version]
 * Prints {version, files, txns, rows: [[col, …], …] sorted, logReads: [...keys read]} or {error}.
 */
import { LocalObjectStore } from '../../src/adapters/local-object-store/local-object-store.js';
import type { ObjectStore } from '../../src/ports/object-store.js';
import { DeltaTable } from '../../src/lake/index.js';

const [folder, tablePath, version] = process.argv.slice(2);
if (!folder || tablePath === undefined) throw new Error('usage: read-table.ts <folder> <tablePath> [version]');
const inner = new LocalObjectStore({ root: folder });
const logReads: string[] = [];
const store: ObjectStore = {
  get: (key, range) => (key.includes('_delta_log/') && logReads.push(key.slice(key.lastIndexOf('/') + 1)), inner.get(key, range)),
  tryGet: (key) => (logReads.push(key.slice(key.lastIndexOf('/') + 1)), inner.tryGet(key)),
  head: (key) => inner.head(key),
  put: (key, body) => inner.put(key, body),
  putIfAbsent: (key, body) => inner.putIfAbsent(key, body),
  list: (prefix, options) => inner.list(prefix, options),
  delete: (key) => inner.delete(key),
};
const plain = (v: unknown): unknown => (typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.toISOString() : v);
try {
  const table = DeltaTable.open(store, tablePath);
  const snap = await table.snapshot(version === undefined ? undefined : Number(version));
  const data = await table.readAll(snap);
  const names = data.schema.fields.map((f) => f.name);
  const rows = data.toArray().map((r) => names.map((n) => plain(r[n])));
  rows.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  console.log(JSON.stringify({ version: snap.version, files: snap.files.length, txns: Object.fromEntries(snap.txns), columns: names, rows, logReads }));
} catch (error) {
  console.log(JSON.stringify({ error: `${(error as Error).name}: ${(error as Error).message}` }));
}
