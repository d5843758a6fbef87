import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, silentLogger } from '@lamina/shared';
import { BatchScheduler, type BatchJob } from '../src/index.js';

test('runs the job on its cron schedule and never overlaps runs', { timeout: 10_000 }, async () => {
  let runs = 0;
  let concurrent = 0;
  let maxConcurrent = 0;
  const job = {
    run: async () => {
      runs++;
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      await new Promise((r) => setTimeout(r, 1500)); // longer than the 1 s period
      concurrent--;
    },
  } as unknown as BatchJob;
  const scheduler = new BatchScheduler(job, '* * * * * *', silentLogger);
  scheduler.start();
  const next = scheduler.nextRun();
  assert.ok(next && next.getTime() - Date.now() <= 1000);
  await new Promise((r) => setTimeout(r, 3500));
  scheduler.stop();
  assert.ok(runs >= 2, `ran ${runs} times in 3.5 s`);
  assert.equal(maxConcurrent, 1, 'a run still going is not doubled');
});

test('an invalid cron expression is a config error that says what a valid one looks like', () => {
  const scheduler = new BatchScheduler({} as BatchJob, 'every night', silentLogger);
  assert.throws(() => scheduler.start(), (e: unknown) => e instanceof ConfigError && /batch.schedule 'every night' is not a valid cron expression/.test(e.message));
});
