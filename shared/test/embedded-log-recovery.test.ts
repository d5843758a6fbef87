import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, open, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { CorruptDataError } from '../src/errors.js';
import { EmbeddedEventLog } from '../src/adapters/embedded-log/index.js';
import { PortEventLog, serveEventLog } from '../src/adapters/port-log/index.js';
import { readAll } from './conformance/event-log-conformance.js';

const decoder = new TextDecoder();
const HEADER = 8;

/** Writes `count` records to the single partition of topic "t", one produce call each; returns the frame boundaries. */
async function seed(dir: string, count: number): Promise<{ file: string; boundaries: number[] }> {
  const log = await EmbeddedEventLog.open({ dir });
  await log.ensureTopic('t', 1);
  for (let i = 0; i < count; i++) await log.produce('t', [{ key: `k${i}`, value: `value-${i}-${'x'.repeat(i * 10)}` }]);
  await log.close();
  const file = join(dir, 'topics', 't', 'partition-0.log');
  // Recompute frame starts from the length fields, independently of the adapter's index.
  const fh = await open(file, 'r');
  const boundaries = [0];
  try {
    const size = (await fh.stat()).size;
    const header = Buffer.alloc(4);
    while (boundaries[boundaries.length - 1]! < size) {
      await fh.read(header, 0, 4, boundaries[boundaries.length - 1]!);
      boundaries.push(boundaries[boundaries.length - 1]! + HEADER + header.readUInt32BE(0));
    }
  } finally {
    await fh.close();
  }
  return { file, boundaries };
}

async function reopen(dir: string): Promise<{ log: EmbeddedEventLog; warnings: string[] }> {
  const warnings: string[] = [];
  const log = await EmbeddedEventLog.open({ dir, onWarning: (m) => warnings.push(m) });
  return { log, warnings };
}

async function values(log: EmbeddedEventLog): Promise<string[]> {
  const [end] = await log.endOffsets('t');
  return (await readAll(log, 't', 0, 0, end!)).map((r) => decoder.decode(r.value));
}

const expectedValues = (n: number): string[] => Array.from({ length: n }, (_, i) => `value-${i}-${'x'.repeat(i * 10)}`);

async function flipByte(file: string, position: number): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, position);
    b[0] = b[0]! ^ 0x5a;
    await fh.write(b, 0, 1, position);
  } finally {
    await fh.close();
  }
}

describe('EmbeddedEventLog recovery', () => {
  const dirs: string[] = [];
  const tempDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'lamina-embedded-recovery-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  test('a torn last record, cut at any byte, is repaired: only that record is lost and appends continue', async () => {
    const dir = await tempDir();
    const { file, boundaries } = await seed(dir, 5);
    const lastStart = boundaries[4]!;
    const end = boundaries[5]!;
    for (let cut = lastStart + 1; cut < end; cut++) {
      const copy = await tempDir();
      const { file: copyFile } = await seed(copy, 5);
      await truncate(copyFile, cut);
      const { log, warnings } = await reopen(copy);
      try {
        assert.deepEqual(await values(log), expectedValues(4), `cut at ${cut}`);
        assert.equal(warnings.length, 1, `one repair warning for cut at ${cut}`);
        assert.match(warnings[0]!, /torn tail/);
        assert.equal((await stat(copyFile)).size, lastStart, 'the torn bytes are gone from the file');
        assert.deepEqual(await log.produce('t', [{ key: 'k', value: 'after' }]), [{ partition: 0, offset: 4 }]);
      } finally {
        await log.close();
      }
      await rm(copy, { recursive: true, force: true });
    }
    assert.equal((await stat(file)).size, end);
  });

  test('garbage or zeros appended after the last record are cut away; every record survives', async () => {
    for (const tail of [randomBytes(100), Buffer.alloc(4096), Buffer.from([0, 0, 0, 30, 1, 2, 3])]) {
      const dir = await tempDir();
      const { file, boundaries } = await seed(dir, 5);
      await appendFile(file, tail);
      const { log, warnings } = await reopen(dir);
      try {
        assert.deepEqual(await values(log), expectedValues(5));
        assert.equal(warnings.length, 1);
        assert.equal((await stat(file)).size, boundaries[5]);
      } finally {
        await log.close();
      }
      const { log: again, warnings: none } = await reopen(dir);
      assert.deepEqual(none, [], 'the repair is durable: a second open finds nothing to fix');
      await again.close();
    }
  });

  test('a checksum failure in the middle of the file is CorruptDataError, not a silent truncation', async () => {
    const dir = await tempDir();
    const { file, boundaries } = await seed(dir, 5);
    const size = (await stat(file)).size;
    await flipByte(file, boundaries[2]! + HEADER + 12);
    await assert.rejects(EmbeddedEventLog.open({ dir }), (e: unknown) => e instanceof CorruptDataError && /offset 2/.test(e.message) && /damaged in the middle/.test(e.message));
    assert.equal((await stat(file)).size, size, 'nothing was truncated');
    // The failed open released its lock: a second attempt reports the same damage, not a conflict.
    await assert.rejects(EmbeddedEventLog.open({ dir }), CorruptDataError);
  });

  test('a damaged length field in the middle is CorruptDataError too', async () => {
    const dir = await tempDir();
    const { file, boundaries } = await seed(dir, 5);
    const fh = await open(file, 'r+');
    await fh.write(Buffer.from([0x7f, 0xff, 0xff, 0xff]), 0, 4, boundaries[1]!);
    await fh.close();
    await assert.rejects(EmbeddedEventLog.open({ dir }), CorruptDataError);
  });

  test('damage that happens while the log is open surfaces as CorruptDataError on read', async () => {
    const dir = await tempDir();
    const { file, boundaries } = await seed(dir, 5);
    const log = await EmbeddedEventLog.open({ dir });
    try {
      await flipByte(file, boundaries[1]! + HEADER + 25);
      await assert.rejects(readAll(log, 't', 0, 0, 5), (e: unknown) => e instanceof CorruptDataError && /record 1 /.test(e.message));
      assert.deepEqual((await readAll(log, 't', 0, 2, 5)).length, 3, 'undamaged records stay readable');
    } finally {
      await log.close();
    }
  });

  test('a consumer meets that damage as CorruptDataError, reported and retried, in one thread and across a port: no record is skipped', async () => {
    for (const across of [false, true]) {
      const dir = await tempDir();
      const { file, boundaries } = await seed(dir, 5);
      const errors: unknown[] = [];
      const embedded = await EmbeddedEventLog.open({ dir, onConsumerError: (error) => errors.push(error) });
      const { port1, port2 } = new MessageChannel();
      const host = across ? serveEventLog(embedded, port1, 'the test') : undefined;
      const log = across ? new PortEventLog(port2, 'the test') : embedded;
      const seen: number[] = [];
      const consumer = log.consumer({ groupId: 'g', topic: 't' });
      try {
        await flipByte(file, boundaries[1]! + HEADER + 25);
        await consumer.start({ onAssigned: async () => new Map([[0, 0]]), onRevoked: async () => undefined, onBatch: async (batch) => void seen.push(...batch.records.map((r) => r.offset)) });
        const until = Date.now() + 5_000;
        while (errors.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
        assert.ok(errors.length >= 2, `the damage is reported and the batch retried (${across ? 'across a port' : 'one thread'})`);
        for (const error of errors) {
          assert.ok(error instanceof CorruptDataError, `${error}`);
          assert.match(error.message, /record 1 at byte \d+ of .*partition-0\.log fails its checksum; the file was damaged after it was opened/);
        }
        assert.deepEqual(seen, [], 'no record of the damaged batch is delivered, and none after it');
      } finally {
        await consumer.stop();
        await host?.close();
        port1.close();
        port2.close();
        await embedded.close();
      }
    }
  });

  test('a process killed with SIGKILL mid-produce loses no acknowledged record', { timeout: 60_000 }, async () => {
    const dir = await tempDir();
    const script = join(dir, 'crash-producer.mts');
    const adapter = pathToFileURL(resolve(fileURLToPath(new URL('.', import.meta.url)), '../src/adapters/embedded-log/index.ts')).href;
    await writeFile(
      script,
      `import { EmbeddedEventLog } from ${JSON.stringify(adapter)};
const log = await EmbeddedEventLog.open({ dir: process.argv[2], onWarning: () => undefined });
await log.ensureTopic('crash', 3);
process.stdout.write('ready\\n');
let next = 0;
async function producer() {
  for (;;) {
    const ids = Array.from({ length: 1 + (next % 3) }, () => next++);
    const positions = await log.produce('crash', ids.map((id) => ({ key: 'k' + (id % 17), value: 'value-' + id + '-' + 'x'.repeat(id % 300) })));
    process.stdout.write(positions.map((p, i) => p.partition + ' ' + p.offset + ' ' + ids[i] + '\\n').join(''));
  }
}
await Promise.all([producer(), producer(), producer(), producer()]);
`,
    );
    const data = join(dir, 'data');
    const child = spawn(process.execPath, ['--import', 'tsx', script, data], { cwd: resolve(fileURLToPath(new URL('.', import.meta.url)), '../..'), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, signal) => done(signal)));
    const started = Date.now();
    while (stdout.split('\n').length < 1500 && Date.now() - started < 30_000 && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL', `the producer should run until killed; stderr: ${stderr}`);

    const acks = stdout
      .split('\n')
      .filter((line) => /^\d+ \d+ \d+$/.test(line))
      .map((line) => line.split(' ').map(Number) as [number, number, number]);
    assert.ok(acks.length >= 200, `expected many acknowledged records before the kill, got ${acks.length}`);

    const { log } = await reopen(data);
    try {
      const ends = await log.endOffsets('crash');
      const byPartition = await Promise.all(ends.map((end, p) => readAll(log, 'crash', p, 0, end)));
      for (const [partition, offset, id] of acks) {
        const record = byPartition[partition]![offset];
        assert.ok(record, `acknowledged ${partition}/${offset} is missing (end offset ${ends[partition]})`);
        assert.equal(record.key, `k${id % 17}`);
        assert.equal(decoder.decode(record.value), `value-${id}-${'x'.repeat(id % 300)}`);
      }
    } finally {
      await log.close();
    }
  });
});
