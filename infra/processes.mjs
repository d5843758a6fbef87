// Daemon plumbing shared by the Kafka and MinIO services: detached spawn, pid checks that survive pid
// reuse, graceful stop, free-port picking, a cross-process lock and small file helpers.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How the daemons this process spawned ended, by pid: a service that exits while starting may have
 * logged nothing (a signal), and then its exit code or signal is the only clue.
 * @type {Map<number, Promise<{code: number|null, signal: string|null}>>}
 */
const daemonExits = new Map();

/** Starts `command` detached from us (own process group), stdout+stderr appended to logFile. */
export function spawnDaemon(command, args, { cwd, env, logFile }) {
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${command}; see ${logFile}`);
    const pid = child.pid;
    daemonExits.set(pid, new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))));
    return pid;
  } finally {
    closeSync(fd);
  }
}

/**
 * True when `pid` is alive and its command line contains `marker`: a bare kill(pid, 0) would also
 * accept an unrelated process that inherited a recycled pid after a reboot or a crash.
 */
export function isOurProcess(pid, marker) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    return cmdline.includes(marker);
  } catch {
    return true; // no /proc (not Linux): trust the signal check
  }
}

/** SIGTERM to the process group, then SIGKILL after timeoutMs. Returns how it ended. */
export async function stopProcess(pid, marker, { timeoutMs = 20_000 } = {}) {
  if (!isOurProcess(pid, marker)) return 'not-running';
  const signal = (sig) => {
    try { process.kill(-pid, sig); } catch { try { process.kill(pid, sig); } catch { /* already gone */ } }
  };
  signal('SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, marker)) return 'terminated';
    await sleep(200);
  }
  signal('SIGKILL');
  for (let i = 0; i < 25 && isOurProcess(pid, marker); i++) await sleep(200);
  return isOurProcess(pid, marker) ? 'still-running' : 'killed';
}

function tryListen(port) {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(null));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const chosen = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
      server.close(() => resolvePort(chosen));
    });
  });
}

export async function isPortFree(port, taken = []) {
  return !taken.includes(port) && (await tryListen(port)) !== null;
}

/** The preferred port if it is free on 127.0.0.1 (and not in `taken`), else one the OS hands out. */
export async function pickPort(preferred, taken = []) {
  if (await isPortFree(preferred, taken)) return preferred;
  for (let i = 0; i < 20; i++) {
    const port = await tryListen(0);
    if (port !== null && !taken.includes(port)) return port;
  }
  throw new Error(`no free TCP port on 127.0.0.1 (wanted ${preferred})`);
}

/**
 * Runs fn while holding a lock directory, so two `up`s (say two test files at once) do not both
 * start a broker. A lock whose owner pid is gone is taken over.
 */
export async function withLock(lockDir, fn, { timeoutMs = 15 * 60_000 } = {}) {
  mkdirSync(dirname(lockDir), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'EEXIST') throw err;
      const owner = Number(readText(join(lockDir, 'pid')) ?? NaN);
      if (!Number.isInteger(owner) || !isOurProcess(owner, '')) {
        await sleep(100); // the owner may be between mkdir and writing its pid
        const again = Number(readText(join(lockDir, 'pid')) ?? NaN);
        if (!Number.isInteger(again) || !isOurProcess(again, '')) rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`stack lock ${lockDir} held by pid ${owner} for too long`);
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

export function readText(path) {
  try { return readFileSync(path, 'utf8'); } catch { return null; }
}

export function readJson(path) {
  const text = readText(path);
  if (text === null) return null;
  try { return JSON.parse(text); } catch { return null; }
}

/** Write-then-rename, so a reader never sees half a file. */
export function writeJson(path, value) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, path);
}

/**
 * ' (exit code 1)' or ' (killed by SIGTERM)' for a daemon this process spawned and saw end within
 * waitMs (the exit event can trail the pid check that found it gone), else ''.
 */
export async function daemonExitNote(pid, waitMs = 2000) {
  const ended = daemonExits.get(pid);
  if (!ended) return '';
  const exit = await Promise.race([ended, sleep(waitMs).then(() => null)]);
  if (!exit) return '';
  return exit.signal ? ` (killed by ${exit.signal})` : ` (exit code ${exit.code})`;
}

export function tailFile(path, lines = 30) {
  if (!existsSync(path)) return '(no log)';
  const text = readText(path) ?? '';
  return text.split('\n').slice(-lines).join('\n');
}

/** Polls probe() until it returns true; fails early when alive() turns false. */
export async function waitUntil(probe, { timeoutMs, intervalMs = 500, alive = () => true, what }) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`${what} exited while starting`);
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err;
    }
    await sleep(intervalMs);
  }
  const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(`${what} not ready after ${Math.round(timeoutMs / 1000)} s${detail}`);
}
