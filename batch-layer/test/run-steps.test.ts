/**
 * A run's steps and its lease, on the local object store adapter: one retry policy (retriable
 * failures only, bounded), timeouts that stop the run retriably, progress and attempts in the run
 * history; a lease held, released, and taken over once it expired.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeaseHeldError, LocalObjectStore, RunHistory, RunLease, UnavailableError, ValidationError, silentLogger } from '@lamina/shared';
import { RunSteps, StepTimeoutError } from '../src/pipeline/run-steps.js';

async function withStore(body: (store: LocalObjectStore) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lamina-steps-'));
  try {
    await body(new LocalObjectStore({ root: dir }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a step retries retriable failures within the policy, fails at once on others, and the history shows attempts and progress', async () => {
  await withStore(async (store) => {
    const history = new RunHistory(store);
    const steps = new RunSteps(history, silentLogger, { retries: 2, timeoutMs: 5_000, backoffMs: 5 }, 'test');
    await steps.start();
    let calls = 0;
    const value = await steps.step('flaky', async ({ progress }) => {
      progress(++calls, 3, 'tries');
      if (calls < 3) throw new UnavailableError('the store is away');
      return 'done';
    });
    assert.equal(value, 'done');
    await assert.rejects(steps.step('exhausted', async () => Promise.reject(new UnavailableError('still away'))), UnavailableError);
    await assert.rejects(steps.step('wrong', async () => Promise.reject(new ValidationError('a bug in the input'))), ValidationError);
    await steps.finish('failed', new ValidationError('a bug in the input'));
    const [record] = await history.recent(1);
    assert.deepEqual(record!.steps.map((s) => [s.name, s.status, s.attempts]), [['flaky', 'succeeded', 3], ['exhausted', 'failed', 3], ['wrong', 'failed', 1]]);
    assert.deepEqual(record!.steps[0]!.progress, { done: 3, total: 3, unit: 'tries' });
    assert.equal(record!.status, 'failed');
    assert.deepEqual(record!.error, { code: 'VALIDATION_FAILED', message: 'a bug in the input' });
  });
});

test('a step past its timeout stops the run retriably and signals the work to stop', async () => {
  await withStore(async (store) => {
    const steps = new RunSteps(new RunHistory(store), silentLogger, { retries: 3, timeoutMs: 50, backoffMs: 5 }, 'test');
    let signal: AbortSignal | undefined;
    const error = await steps.step('stuck', async (context) => {
      signal = context.signal;
      return new Promise<never>(() => {});
    }).catch((e: unknown) => e);
    assert.ok(error instanceof StepTimeoutError, String(error));
    assert.equal(error.retriable, true, 'exit 75: retry later');
    assert.equal(signal?.aborted, true);
    assert.equal(steps.record.steps[0]!.attempts, 1, 'a timeout is not retried within the run');
  });
});

test('a lease is held until released or expired, and the next run takes it over', async () => {
  await withStore(async (store) => {
    let now = Date.UTC(2026, 10, 29);
    const clock = () => now;
    const first = await RunLease.acquire(store, 7, { runId: 'a', holder: 'host-a' }, 60_000, clock);
    await assert.rejects(RunLease.acquire(store, 7, { runId: 'b', holder: 'host-b' }, 60_000, clock), (e: unknown) => e instanceof LeaseHeldError && e.holder.runId === 'a' && e.retriable);
    const other = await RunLease.acquire(store, 8, { runId: 'c', holder: 'host-c' }, 60_000, clock);
    await first.release();
    const second = await RunLease.acquire(store, 7, { runId: 'b', holder: 'host-b' }, 60_000, clock);
    // b crashes without releasing; its lease lapses.
    now += 61_000;
    const third = await RunLease.acquire(store, 7, { runId: 'd', holder: 'host-d' }, 60_000, clock);
    third.check();
    const takes: string[] = [];
    for await (const info of store.list('runs/_lease/')) takes.push(info.key.split('/').at(-1)!);
    assert.deepEqual(takes, ['00000000000000000007.0000.json', '00000000000000000007.0001.json', '00000000000000000007.0002.json', '00000000000000000008.0000.json']);
    await Promise.all([second, third, other].map((l) => l.release()));
  });
});
