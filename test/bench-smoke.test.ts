/** The benchmarks run in CI at a tiny size, so that they never rot (no timing is asserted: see BENCHMARKS.md). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { INFRA_SKIP_REASON, requireInfra, requireSpark } from './support/infra-env.js';

const run = promisify(execFile);

test('npm run bench -- batch --smoke runs every step and reports every goal', { timeout: 180_000 }, async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', 'batch', '--smoke'], { maxBuffer: 16 * 2 ** 20 });
  assert.match(stdout, /\| 20,000 \| [\d,]+ \| [\d.]+ s \| [\d.]+ s \| [\d.]+ s \| [\d.]+ s \| [\d.]+ s \|/);
  for (const goal of ['throughput ≥ 0.5× baseline', 'peak RSS ≤ 1.5× baseline', 'incremental ≤ 10 % of full']) assert.ok(stdout.includes(goal), goal);
});

const infra = requireInfra();

test('npm run bench -- serving --smoke runs every step on the real stack and reports every goal', { skip: infra ? false : INFRA_SKIP_REASON, timeout: 300_000 }, async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', 'serving', '--smoke'], { maxBuffer: 16 * 2 ** 20 });
  assert.match(stdout, /\| 20,000 \| top \| \d+ ms \/ \d+ ms \| [\d,.]+ \(\d+ ms \/ \d+ ms\) \| [\d,.]+ \(\d+ ms \/ \d+ ms\) \| [\d.]+ \|/);
  assert.match(stdout, /\| 20,000 \| all \([\d,]+ rows\) \|/);
  assert.match(stdout, /\| 20,000 \| \d+ ms \/ \d+ ms \| [\d,.]+ \| [\d,]+ \|/, 'the all-time query measured while events arrive');
  for (const goal of ['top uncached p50 ≤ 50 ms', 'all ≤ 300 ms (p50) while events arrive', 'cached req/s ≥ 0.5 × bare yoga', 'serve RSS ≤ 600 MB', 'new generation served ≤ 5 s', 'ingest falls ≤ 20 %', '1,000 aliases refused', '/healthz does not wait']) {
    assert.ok(stdout.includes(goal), goal);
  }
  assert.doesNotMatch(stdout, /failed\*\*/, 'no request of the bench failed');
});

const spark = requireSpark();

test('npm run bench -- spark --smoke runs DuckDB and Spark on one lake and reports both', { skip: spark ? false : 'needs Spark', timeout: 300_000 }, async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', 'spark', '--smoke'], { maxBuffer: 16 * 2 ** 20 });
  assert.match(stdout, /\| DuckDB, 2 threads \| [\d,]+ \| [\d.]+ s \| [\d.]+ s \| 1\.0× the time \|/);
  assert.match(stdout, /\| Spark local\[1\] \| [\d,]+ \| [\d.]+ s \| [\d.]+ s \| [\d.]+× the time \|/);
});

test('npm run bench -- throughput --smoke measures every layer against its baseline on the real stack', { skip: infra ? false : INFRA_SKIP_REASON, timeout: 300_000 }, async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', 'throughput', '--smoke'], { maxBuffer: 16 * 2 ** 20 });
  const ratio = /\| ([\d.]+) (?:\(met\)|\*\*\(missed\)\*\*) \| ≥ 0\.5 \|/;
  for (const scenario of ['HTTP ingest, embedded', 'HTTP ingest into Kafka', 'archiver, Kafka → Parquet on MinIO', 'speed fold, both default views']) {
    const row = stdout.split('\n').find((line) => line.startsWith(`| ${scenario}`));
    assert.ok(row, `a row for ${scenario}`);
    assert.ok(Number(ratio.exec(row)?.[1]) > 0, `${scenario}: a positive ratio against its baseline\n${row}`);
  }
  assert.match(stdout, /\| CPU per acknowledged event in those two runs .*\| [\d.]+ µs, [\d.]+ of \d+ cores busy \(load generator: [\d.]+\) \| [\d.]+ µs, [\d.]+ cores busy \(load generator: [\d.]+\) \| [\d.]+ \(baseline's CPU per event \/ Lamina's\) \|/);
  assert.match(stdout, /\| the speed fold after that embedded burst .*\| [\d,]+ events behind when the load ended; caught up [\d.]+ s later \|/);
  assert.match(stdout, /\| freshness at 2,000 events\/s \(achieved [\d,]+\): posted → visible in GraphQL \| p50 \d+ ms, p99 \d+ ms \(3 probes\) \|/);
  assert.match(stdout, /\| speed rebuild \(the fold from the watermark; generated events, each a group of its own\) \| [\d.]+ s per million events at 4,000; [\d.]+ s at 8,000 \|/);
  assert.match(stdout, /realtime state [\d,-]+ B of memory per view row .*embedded ingest [\d,-]+ B RSS per event; embedded idle RSS [\d,]+ MB/);
});
