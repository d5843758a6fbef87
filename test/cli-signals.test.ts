/**
 * Issue 6, item 3: stopping a layer left its worker running. `cli/bin/lamina.mjs` ran the CLI in a
 * spawnSync child and passed no signal on; now it is the worker itself. Through `npx`, npm's `sh -c`
 * still swallows SIGTERM, so the worker watches its parent. Either way: after SIGTERM to the PID a
 * supervisor holds, no Lamina process is left, and the exit says how it ended.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { KafkaEventLog, S3ObjectStore, withDeadline } from '@lamina/shared';
import { INFRA_SKIP_REASON, requireInfra, type InfraEnv } from './support/infra-env.js';
import { freePort, runToEnd, startLayer, statFields } from './support/processes.js';
import { waitFor } from './support/log-facts.js';

const infra = requireInfra();
const READY = /health endpoints listening/;

/** Parent pid of every live process, from /proc (Linux). */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const [state, ppid] = statFields(readFileSync(`/proc/${name}/stat`, 'utf8'));
      if (state !== 'Z') map.set(Number(name), Number(ppid));
    } catch {
      // exited while we looked
    }
  }
  return map;
}

function descendants(pid: number): number[] {
  const byParent = parents();
  const out: number[] = [];
  const visit = (p: number) => {
    for (const [child, parent] of byParent) if (parent === p) out.push(child), visit(child);
  };
  visit(pid);
  return out;
}

/** tsx's esbuild transform service: a helper of the worker's module loader that ends with it, not a worker. */
function isEsbuildService(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('esbuild');
  } catch {
    return false;
  }
}

function alive(pids: number[]): number[] {
  const live = parents();
  return pids.filter((pid) => live.has(pid));
}

/** An archiver's env on the shared stack, with a topic and lake prefix of its own. */
async function archiveEnv(infraEnv: InfraEnv, run: string): Promise<Record<string, string>> {
  const { kafkaBrokers, s3 } = infraEnv;
  return {
    LAMINA_KAFKA_BROKERS: kafkaBrokers.join(','), LAMINA_TOPIC: `lamina-signals-${run}`, LAMINA_S3_ENDPOINT: s3.endpoint, LAMINA_S3_BUCKET: s3.bucket,
    LAMINA_S3_PREFIX: `lamina-test/signals-${run}`, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: s3.region,
    PORT: String(await freePort()),
  };
}

async function cleanUp(infraEnv: InfraEnv, env: Record<string, string>): Promise<void> {
  const log = new KafkaEventLog({ brokers: infraEnv.kafkaBrokers, clientId: 'lamina-signals-cleanup' });
  await log.deleteTopic(env.LAMINA_TOPIC!).catch(() => undefined);
  await log.close();
  const store = new S3ObjectStore({ ...infraEnv.s3, prefix: env.LAMINA_S3_PREFIX! });
  for await (const object of store.list('')) await store.delete(object.key);
  store.destroy();
}

test('SIGTERM to the lamina bin: it is the worker (no wrapper process), stops cleanly, exit 0 comes back, nothing is left; a config error comes back as 78', { skip: infra ? false : INFRA_SKIP_REASON, timeout: 120_000 }, async () => {
  const env = await archiveEnv(infra!, randomUUID().slice(0, 8));
  try {
    const archiver = await startLayer('archiver', ['archive'], env, READY);
    const pid = archiver.child.pid!;
    assert.deepEqual(descendants(pid).filter((child) => !isEsbuildService(child)), [], 'no child process but tsx\'s esbuild service: the PID a supervisor holds is the worker');

    archiver.child.kill('SIGTERM');
    const end = await withDeadline(archiver.exited, 30_000, () => new Error(`still running 30 s after SIGTERM:\n${archiver.output.slice(-5).join('\n')}`));
    assert.deepEqual(end, { code: 0, signal: null });
    assert.ok(archiver.output.some((line) => line.includes('lamina archive stopped (SIGTERM)')));
    assert.deepEqual(alive([pid]), []);

    const misconfigured = await runToEnd(['archive'], { ...env, LAMINA_CONFIG: '/nonexistent/lamina.config.ts' }, 60_000);
    assert.equal(misconfigured.code, 78, misconfigured.stderr);
    assert.match(misconfigured.stderr, /LAMINA_CONFIG/);
  } finally {
    await cleanUp(infra!, env);
  }
});

test('SIGTERM to the `npx lamina archive` PID: the worker npm started through sh stops as well, nothing is left running', { skip: infra ? false : INFRA_SKIP_REASON, timeout: 120_000 }, async (t) => {
  const env = await archiveEnv(infra!, randomUUID().slice(0, 8));
  const npx = spawn('npx', ['--no-install', 'lamina', 'archive'], { env: { ...process.env, LAMINA_LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  npx.stderr.on('data', (d: Buffer) => output.push(d.toString()));
  const npxExit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => npx.once('exit', (code, signal) => resolve({ code, signal })));
  let tree: number[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npx lamina archive not ready in 60 s:\n${output.join('\n')}`)), 60_000);
      createInterface({ input: npx.stdout }).on('line', (line) => {
        output.push(line);
        if (READY.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    tree = descendants(npx.pid!);
    assert.ok(tree.length >= 1, 'npm runs the worker as a child process');

    npx.kill('SIGTERM');
    const end = await npxExit;
    t.diagnostic(`npx itself ended with ${JSON.stringify(end)}; its process tree was ${tree.length} process(es)`);
    // The worker's graceful stop leaves the consumer group first: on a loaded machine that can take tens of seconds.
    await waitFor('every process npx started is gone', async () => (alive(tree).length === 0 ? true : undefined), 60_000).catch((error: Error) => {
      const left = alive(tree).map((pid) => `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')}`);
      throw new Error(`${error.message}; still running: ${left.join('; ')}\nlast output:\n${output.slice(-12).join('\n')}`);
    });
    assert.ok(output.some((line) => line.includes('is gone; stopping as on SIGTERM')), output.slice(-5).join('\n'));
    assert.ok(output.some((line) => line.includes('lamina archive stopped')), output.slice(-5).join('\n'));
  } finally {
    for (const pid of alive(tree)) process.kill(pid, 'SIGKILL');
    if (npx.exitCode === null && npx.signalCode === null) npx.kill('SIGKILL');
    await cleanUp(infra!, env);
  }
});
