// A Python virtual environment from a pinned requirements file, made once per pin set in the
// machine-wide cache (like the Kafka jars and the MinIO binary): independent readers of the lake
// (delta-rs, infra/python) for the interop tests, and PySpark for the Spark engine (infra/spark).
// Assembled in a temporary folder and renamed into place, so an interrupted install never leaves an
// entry that looks complete.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './stack-config.mjs';

const REQUIREMENTS = join(REPO_ROOT, 'infra', 'python', 'requirements.txt');

/** The venv folder for a requirements file (its name hashes the pins), under `<cacheDir>/<kind>`. */
export function pythonEnvDir(cacheDir, requirements = REQUIREMENTS, kind = 'python') {
  const hash = createHash('sha256').update(readFileSync(requirements)).digest('hex').slice(0, 12);
  return join(cacheDir, kind, hash);
}

/** The pins of a requirements-style file: its lines, without blanks and `#` comments. */
export function pinsOf(file) {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
}

/** Runs a command to completion and returns its stdout; a failure throws with stderr's last lines. */
export function run(command, args, what, hint = 'is Python 3 with venv installed?') {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
  if (result.error) throw new Error(`${what}: cannot run ${command} (${result.error.message}); ${hint}`);
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status}); ${hint}\n${(result.stderr || result.stdout).split('\n').slice(-20).join('\n')}`);
  return result.stdout;
}

/** Returns the venv's python, creating the venv on first use (pip from PyPI, a minute or so). */
export function ensurePythonEnv({ cacheDir, log = () => {}, requirements = REQUIREMENTS, kind = 'python' }) {
  const dir = pythonEnvDir(cacheDir, requirements, kind);
  const python = join(dir, 'bin', 'python');
  if (existsSync(python)) return python;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(dir, '..'), { recursive: true });
  log(`provisioning Python packages (${pinsOf(requirements).join(', ')}) -> ${dir}`);
  const started = Date.now();
  run('python3', ['-m', 'venv', tmp], 'python3 -m venv');
  run(join(tmp, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '-r', requirements], 'pip install');
  // A venv's scripts name their folder; recreate it in place after the rename so they point at the final path.
  renameSync(tmp, dir);
  run('python3', ['-m', 'venv', '--upgrade', dir], 'python3 -m venv --upgrade');
  log(`  Python packages ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return python;
}
