/** The benchmarks run in CI at a tiny size, so that they never rot (no timing is asserted: see BENCHMARKS.md). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

test('npm run bench -- batch --smoke runs every step and reports every goal', { timeout: 180_000 }, async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', 'batch', '--smoke'], { maxBuffer: 16 * 2 ** 20 });
  assert.match(stdout, /\| 20,000 \| [\d,]+ \| [\d.]+ s \| [\d.]+ s \| [\d.]+ s \| [\d.]+ s \| [\d.]+ s \|/);
  for (const goal of ['throughput ≥ 0.5× baseline', 'peak RSS ≤ 1.5× baseline', 'incremental ≤ 10 % of full']) assert.ok(stdout.includes(goal), goal);
});
