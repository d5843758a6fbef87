// Fetches (Kafka jars from Maven Central) and builds (MinIO from the Go module proxy) once per pin,
// into the machine-wide cache. Each result is assembled in a temporary folder and renamed into
// place, so an interrupted run never leaves a half-filled cache entry that looks complete.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { KAFKA_VERSION, MINIO_MODULE, MINIO_VERSION, REPO_ROOT } from './stack-config.mjs';
import { tailFile } from './processes.mjs';

const KAFKA_POM = join(REPO_ROOT, 'infra', 'kafka', 'pom.xml');

function run(command, args, { env, cwd, logFile, log, what }) {
  return new Promise((resolveRun, rejectRun) => {
    const fd = openSync(logFile, 'w');
    const started = Date.now();
    let child;
    try {
      child = spawn(command, args, { cwd, env, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    // A silent multi-minute build looks hung; say it is still going.
    const heartbeat = setInterval(() => log(`  … ${what} still running (${Math.round((Date.now() - started) / 1000)} s)`), 30_000);
    child.once('error', (err) => {
      clearInterval(heartbeat);
      rejectRun(new Error(`${what}: cannot run ${command} (${err.message}); is it installed and on PATH?`));
    });
    child.once('exit', (code, signal) => {
      clearInterval(heartbeat);
      if (code === 0) resolveRun(Date.now() - started);
      else rejectRun(new Error(`${what} failed (${signal ?? `exit ${code}`}); full log: ${logFile}\n${tailFile(logFile, 25)}`));
    });
  });
}

function freshDir(path) {
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
}

/** Cache key of the Kafka classpath: the version plus a hash of the POM that lists it. */
export function kafkaLibDir(cacheDir) {
  const hash = createHash('sha256').update(readFileSync(KAFKA_POM)).digest('hex').slice(0, 12);
  return join(cacheDir, 'kafka', `${KAFKA_VERSION}-${hash}`, 'lib');
}

export function minioBinary(cacheDir) {
  return join(cacheDir, 'minio', MINIO_VERSION, 'minio');
}

/** Returns the folder of Kafka jars, resolving them with Maven on first use. */
export async function provisionKafka(cacheDir, log) {
  const libDir = kafkaLibDir(cacheDir);
  if (existsSync(libDir)) return { libDir, provisionedMs: 0 };
  const entry = join(libDir, '..');
  const tmp = `${libDir}.tmp-${process.pid}`;
  freshDir(tmp);
  log(`provisioning Kafka ${KAFKA_VERSION}: mvn dependency:copy-dependencies (Maven Central) -> ${libDir}`);
  const ms = await run('mvn', [
    '-B', '-q', '-f', KAFKA_POM, 'dependency:copy-dependencies',
    `-DoutputDirectory=${tmp}`, '-DincludeScope=runtime',
  ], { env: process.env, cwd: entry, logFile: join(entry, 'mvn.log'), log, what: 'Kafka download' });
  if (!readdirSync(tmp).some((f) => f.startsWith('kafka_2.13-'))) {
    throw new Error(`Kafka download finished but ${tmp} has no kafka_2.13 jar; see ${join(entry, 'mvn.log')}`);
  }
  renameSync(tmp, libDir);
  log(`  Kafka jars ready in ${(ms / 1000).toFixed(1)} s`);
  return { libDir, provisionedMs: ms };
}

/** Returns the MinIO binary, building it with `go install` on first use (minutes, ~2-3 GB RAM). */
export async function provisionMinio(cacheDir, log) {
  const binary = minioBinary(cacheDir);
  if (existsSync(binary)) return { binary, provisionedMs: 0 };
  const entry = join(binary, '..');
  const gobin = join(entry, `.gobin-${process.pid}`);
  freshDir(gobin);
  log(`provisioning MinIO ${MINIO_VERSION}: go install ${MINIO_MODULE} -> ${binary}`);
  log('  (first build only: several minutes on 2 cores; later runs reuse the binary)');
  const ms = await run('go', ['install', '-trimpath', `${MINIO_MODULE}@${MINIO_VERSION}`], {
    // GOTOOLCHAIN=local: never try to download another Go toolchain (only the module proxy is reachable).
    // CGO_ENABLED=0: MinIO's own release builds are static; no C toolchain needed.
    env: { ...process.env, GOBIN: gobin, GOTOOLCHAIN: 'local', CGO_ENABLED: '0' },
    cwd: entry,
    logFile: join(entry, 'build.log'),
    log,
    what: 'MinIO build',
  });
  renameSync(join(gobin, 'minio'), binary);
  rmSync(gobin, { recursive: true, force: true });
  log(`  MinIO built in ${(ms / 1000).toFixed(0)} s`);
  return { binary, provisionedMs: ms };
}
