#!/usr/bin/env node
// Runs every *.test.ts under the workspaces with node's own test runner (through tsx), so CI reads
// node's closing summary. Extra args are file filters: `npm run test:unit -- measures`.
//
// Real infrastructure: unless LAMINA_TEST_INFRA=off, the local Kafka + MinIO stack (infra/) is
// provisioned and started first when it is not running, its env handed to the tests, and stopped
// afterwards if this run started it; likewise a Python venv with delta-rs (infra/python-env.mjs) and
// one with PySpark and its jars (infra/spark-env.mjs). In CI (CI=true) a stack that cannot start fails the run;
// elsewhere the infra tests skip, loudly.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const roots = ['shared', 'batch-layer', 'speed-layer', 'serving-layer', 'cli', 'test'];
const filters = process.argv.slice(2);
const inCI = process.env.CI === 'true';

function walk(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(process.cwd(), path));
  }
  return out;
}

const files = roots.flatMap((r) => walk(r, [])).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (files.length === 0) {
  console.error(`no test files matched ${filters.join(' ') || '(all)'}`);
  process.exit(1);
}

const loud = (lines) => console.error(['', '#'.repeat(78), ...lines.map((l) => `# ${l}`), '#'.repeat(78), ''].join('\n'));

async function startInfra() {
  if (process.env.LAMINA_TEST_INFRA === 'off') {
    if (inCI) throw new Error('LAMINA_TEST_INFRA=off is not allowed in CI: the infra tests must run');
    loud(['LAMINA_TEST_INFRA=off: Kafka/MinIO tests will SKIP.']);
    return { env: {}, stop: async () => {} };
  }
  try {
    const apt = spawnSync('bash', ['infra/install-apt.sh'], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (apt.status !== 0) throw new Error('infra/install-apt.sh failed (kcat, java, maven, chromium from Debian packages)');
    const { ensureStack, stopStack } = await import('../infra/stack-lib.mjs');
    const { stackConfigFromEnv } = await import('../infra/stack-config.mjs');
    const { ensurePythonEnv } = await import('../infra/python-env.mjs');
    const started = Date.now();
    const { env, startedByUs } = await ensureStack({ log: (line) => console.error(`[stack] ${line}`) });
    console.error(`[stack] ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${startedByUs ? 'started by this run' : 'already running'})`);
    env.LAMINA_TEST_PYTHON = ensurePythonEnv({ cacheDir: stackConfigFromEnv().cacheDir, log: (line) => console.error(`[python] ${line}`) });
    await provisionSpark(env, stackConfigFromEnv().cacheDir);
    return { env, stop: async () => { if (startedByUs) await stopStack({ log: (line) => console.error(`[stack] ${line}`) }); } };
  } catch (error) {
    if (inCI) throw error;
    loud([`Could not start the local Kafka + MinIO stack: ${error.message}`, 'Kafka/MinIO tests will SKIP. Get the stack with `npm run stack:up` (needs java, mvn, go).']);
    return { env: {}, stop: async () => {} };
  }
}

/** PySpark and its jars for the Spark engine's tests: its own failure, so the stack's tests still run (CI fails it). */
async function provisionSpark(env, cacheDir) {
  try {
    const { ensureSparkEnv } = await import('../infra/spark-env.mjs');
    env.LAMINA_TEST_SPARK = JSON.stringify(ensureSparkEnv({ cacheDir, log: (line) => console.error(`[spark] ${line}`) }));
  } catch (error) {
    if (inCI) throw error;
    loud([`Could not provision Spark: ${error.message}`, 'The Spark engine tests will SKIP.']);
  }
}

let infra;
try {
  infra = await startInfra();
} catch (error) {
  console.error(`\nCI: the test infrastructure is missing and that is a failure, not a skip:\n${error.stack ?? error}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: { ...process.env, ...infra.env, LAMINA_LOG_LEVEL: process.env.LAMINA_LOG_LEVEL ?? 'silent' },
});
await infra.stop();
process.exit(result.status ?? 1);
