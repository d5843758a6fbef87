// The Spark engine's environment, made once per pin set in the machine-wide cache: a Python venv with
// pyspark + delta-spark (infra/spark/requirements.txt) and the Maven jars of infra/spark/packages.txt,
// resolved by Spark's own Ivy. Sessions then get the jars as local files (spark.jars), so no run
// waits on Ivy or the network. Needs Java 17 (infra/install-apt.sh).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './stack-config.mjs';
import { ensurePythonEnv, pinsOf, run } from './python-env.mjs';

const SPARK_DIR = join(REPO_ROOT, 'infra', 'spark');

/** Returns `{ python, jars }` for `batch.spark` (python: the venv's interpreter; jars: local paths). */
export function ensureSparkEnv({ cacheDir, log = () => {} }) {
  const python = ensurePythonEnv({ cacheDir, log, requirements: join(SPARK_DIR, 'requirements.txt'), kind: 'spark' });
  const venv = dirname(dirname(python));
  // Keyed by the Maven pins too: a changed packages.txt resolves into a folder of its own.
  const pins = createHash('sha256').update(readFileSync(join(SPARK_DIR, 'packages.txt'))).digest('hex').slice(0, 12);
  const manifest = join(venv, `jars-${pins}.json`);
  if (existsSync(manifest)) {
    const jars = JSON.parse(readFileSync(manifest, 'utf8'));
    if (jars.every((jar) => existsSync(jar))) return { python, jars };
  }
  log(`fetching Spark's Maven packages (${pinsOf(join(SPARK_DIR, 'packages.txt')).join(', ')})`);
  const started = Date.now();
  const stdout = run(python, [join(SPARK_DIR, 'resolve_jars.py'), join(SPARK_DIR, 'packages.txt'), join(venv, `ivy-${pins}`)], "resolving Spark's jars", 'is Java 17 installed?');
  const jars = JSON.parse(stdout.trim().split('\n').pop());
  writeFileSync(`${manifest}.${process.pid}.tmp`, JSON.stringify(jars));
  renameSync(`${manifest}.${process.pid}.tmp`, manifest);
  log(`  Spark jars ready in ${((Date.now() - started) / 1000).toFixed(0)} s (${jars.length} jars)`);
  return { python, jars };
}
