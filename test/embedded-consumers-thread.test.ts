/**
 * Embedded mode's archiver and speed layer on their own thread (cli/src/consumers-thread.ts): what a
 * user sees of it is one process whose /metrics holds every layer's, and a start that fails cleanly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbedded } from '@lamina/cli';
import { createRuntime } from '../cli/src/layers.js';
import { readRuntimeOptions } from '../cli/src/runtime-options.js';
import { loadConfig } from '../cli/src/load-config.js';
import { pageViews, postEvents } from './support/http.js';
import { statFields } from './support/processes.js';

async function boot(dataDir: string, env: Record<string, string> = {}) {
  const options = readRuntimeOptions({ LAMINA_DATA_DIR: dataDir, PORT: '0', LAMINA_LOG_LEVEL: 'silent', ...env });
  const { config } = await loadConfig(undefined);
  return startEmbedded(createRuntime(config, options, 'stdout'), { schedule: false });
}

function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** The /metrics text once the speed layer has folded `count` records (or the last one read, after 5 s). */
async function metricsOnceFolded(base: string, count: number): Promise<string> {
  let text = '';
  for (let i = 0; i < 200 && sample(text, 'lamina_speed_records_folded_total') !== count; i++) {
    text = await (await fetch(`${base}/metrics`)).text();
    await new Promise((r) => setTimeout(r, 25));
  }
  return text;
}

test('one /metrics for the process: the consumers thread\'s archiver and speed metrics, each family once', { timeout: 60_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'lamina-consumers-'));
  const lamina = await boot(dataDir);
  try {
    const base = `http://127.0.0.1:${lamina.port}`;
    const posted = await postEvents(base, pageViews(300, { prefix: 'm', from: Date.now() - 3_600_000, spreadMs: 3_000_000, users: 50 }));
    assert.equal(posted.body.accepted, 300);
    await lamina.archiver.catchUp();
    const text = await metricsOnceFolded(base, 300);
    assert.equal(sample(text, 'lamina_speed_records_folded_total'), 300, 'the speed layer folded every event (its metric from the thread)');
    assert.equal(sample(text, 'lamina_archiver_events_archived_total'), 300, 'the archiver archived every event');
    assert.equal(sample(text, 'lamina_ingest_events_accepted_total'), 300, 'ingest, on the main thread');
    assert.ok(sample(text, 'lamina_process_nodejs_heap_size_used_bytes')! > 0, 'the process metrics (the main thread reports them)');
    const families = text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]!);
    assert.ok(families.includes('lamina_log_identity_ok'));
    assert.deepEqual(families.filter((name, i) => families.indexOf(name) !== i), [], 'no metric family twice (Prometheus refuses such a scrape)');
  } finally {
    await lamina.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('a consumers thread that cannot start fails the start with its reason and leaves the data dir free', { timeout: 60_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'lamina-consumers-'));
  try {
    // The lake folder is a file: the archiver, on the thread, cannot open its tables.
    await writeFile(join(dataDir, 'lake'), 'not a folder');
    await assert.rejects(boot(dataDir), (error: Error) => /ENOTDIR|EEXIST|not a directory/i.test(error.message));
    await rm(join(dataDir, 'lake'));
    await mkdir(join(dataDir, 'lake'));
    const lamina = await boot(dataDir);
    await lamina.stop();
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

/** This process's threads as [thread id, nice value], from /proc (Linux). */
async function threadNices(): Promise<[number, number][]> {
  const out: [number, number][] = [];
  for (const tid of await readdir('/proc/self/task')) {
    const stat = await readFile(`/proc/self/task/${tid}/stat`, 'utf8').catch(() => undefined);
    if (stat === undefined) continue; // ended between the listing and the read
    out.push([Number(tid), Number(statFields(stat)[16])]); // field 19: the nice value
  }
  return out;
}

test('the consumers thread runs LAMINA_CONSUMERS_NICE steps below ingest\'s priority; a bad value is refused', { timeout: 60_000, skip: process.platform === 'linux' ? false : 'a nice value per thread is Linux\'s' }, async () => {
  assert.throws(() => readRuntimeOptions({ LAMINA_CONSUMERS_NICE: '20' }), /LAMINA_CONSUMERS_NICE must be a number of nice steps below the process's priority, from 0 \(none\) to 19, got '20'/);
  assert.throws(() => readRuntimeOptions({ LAMINA_CONSUMERS_NICE: 'low' }), /LAMINA_CONSUMERS_NICE/);
  assert.equal(readRuntimeOptions({}).consumersNice, 10, 'the default');
  const before = await threadNices();
  const mainNice = before.find(([tid]) => tid === process.pid)![1];
  const lowered = Math.min(19, mainNice + 7);
  assert.ok(lowered > mainNice, 'this test needs a process below nice 19');
  const atLowered = (threads: [number, number][]) => threads.filter(([, nice]) => nice === lowered).map(([tid]) => tid);
  const already = atLowered(before);
  const dataDir = await mkdtemp(join(tmpdir(), 'lamina-consumers-'));
  const lamina = await boot(dataDir, { LAMINA_CONSUMERS_NICE: '7' });
  let consumers: number[] = [];
  try {
    const during = await threadNices();
    consumers = atLowered(during).filter((tid) => !already.includes(tid));
    assert.equal(consumers.length, 1, 'one new thread, the consumers thread, runs 7 steps below the process');
    assert.notEqual(consumers[0], process.pid);
    assert.equal(during.find(([tid]) => tid === process.pid)![1], mainNice, 'the main thread (ingest) keeps its priority');
    // Still folding at its lower priority: an idle CPU is its to use.
    const base = `http://127.0.0.1:${lamina.port}`;
    assert.equal((await postEvents(base, pageViews(50, { prefix: 'n', from: Date.now() - 60_000, spreadMs: 50_000, users: 5 }))).body.accepted, 50);
    assert.equal(sample(await metricsOnceFolded(base, 50), 'lamina_speed_records_folded_total'), 50);
  } finally {
    await lamina.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  assert.ok(!(await threadNices()).some(([tid]) => tid === consumers[0]), 'the thread ended with the stop');
});
