/**
 * A commit whose create-only write fails without saying it did not land (a request that timed out
 * while the store was unreachable, completed by the store once back) must not take its data files
 * with it: the version it may have written references them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as arrow from 'apache-arrow';
import { LocalObjectStore } from '../src/adapters/local-object-store/local-object-store.js';
import { UnavailableError } from '../src/errors.js';
import { DeltaTable, commitWithRetry } from '../src/lake/index.js';

/** Writes the next log version, then answers as a timed-out request does: retriable, outcome unknown. */
class LandsThenFails extends LocalObjectStore {
  failNextCommit = false;
  override async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    const written = await super.putIfAbsent(key, body);
    if (this.failNextCommit && key.includes('/_delta_log/') && key.endsWith('.json')) {
      this.failNextCommit = false;
      throw new UnavailableError(`PutObject of ${key} timed out`);
    }
    return written;
  }
}

let root: string;
before(async () => (root = await mkdtemp(join(tmpdir(), 'lamina-commit-outcome-'))));
after(() => rm(root, { recursive: true, force: true }));

const schema = new arrow.Schema([new arrow.Field('id', new arrow.Int64(), true)]);
const rowsOf = (ids: number[]) => new arrow.Table({ id: arrow.vectorFromArray(ids.map(BigInt), new arrow.Int64()) });

test('commitWithRetry: a commit that landed although its write failed keeps its data files', async () => {
  const store = new LandsThenFails({ root: join(root, 'retry') });
  const table = DeltaTable.open(store, 't');
  await table.createIfMissing(schema);
  store.failNextCommit = true;
  await assert.rejects(
    commitWithRetry(table, async (snapshot) => {
      const add = await table.writeDataFile(rowsOf([1, 2]), { snapshot });
      return { actions: [{ add }], files: [add], value: undefined };
    }),
    UnavailableError,
  );
  const ids = (await DeltaTable.open(store, 't').readAll()).getChild('id')!.toArray();
  assert.deepEqual([...ids], [1n, 2n]);
});

test('overwrite: the same for a replacing commit', async () => {
  const store = new LandsThenFails({ root: join(root, 'overwrite') });
  const table = DeltaTable.open(store, 't');
  const created = await table.createIfMissing(schema);
  store.failNextCommit = true;
  await assert.rejects(table.overwrite(created.version, [rowsOf([7])]), UnavailableError);
  const ids = (await DeltaTable.open(store, 't').readAll()).getChild('id')!.toArray();
  assert.deepEqual([...ids], [7n]);
});
