/**
 * Lamina layers as real child processes (distributed mode), for end-to-end tests. They run through
 * the `lamina` bin (cli/bin/lamina.mjs), the same entry point `npx lamina` and supervisors use.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

export const LAMINA_BIN = 'cli/bin/lamina.mjs';

/** A /proc/…/stat line's fields from field 3 (state) on: the name before them may hold spaces and ')'. */
export function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

export interface LaminaProcess {
  name: string;
  child: ChildProcess;
  /** stdout lines (JSON logs) and stderr chunks, in arrival order. */
  output: string[];
  /** Resolves when the process has exited, with how. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  timeoutMs?: number;
  /** Node options before the bin, e.g. ['--import', './test/support/some-preload.mjs']. */
  nodeArgs?: string[];
}

/**
 * A port for a child process to listen on. Port 0 would pick one from the kernel's ephemeral range,
 * and between our check and the child's listen an outgoing connection (Kafka clients open many) can
 * take it: CI saw EADDRINUSE that way. So ports come from below that range, are checked on every
 * interface (layers listen on 0.0.0.0), and are never handed out twice by this process.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = PORT_FLOOR + Math.floor(Math.random() * (ephemeralFloor() - PORT_FLOOR));
    if (handedOut.has(port) || RESERVED_PORTS.has(port)) continue;
    if (await bindable(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port found between ${PORT_FLOOR} and ${ephemeralFloor()} after 200 tries`);
}

const PORT_FLOOR = 20_000;
/** The local stack's own ports (infra/stack.mjs), should a range ever reach them. */
const RESERVED_PORTS = new Set([19_000, 19_001, 19_092, 19_093, 19_094]);
const handedOut = new Set<number>();

function ephemeralFloor(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > PORT_FLOOR + 1_000) return low;
  } catch {
    // Not Linux: Linux's default floor, below the IANA dynamic range (49152) too.
  }
  return 32_768;
}

async function bindable(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

/** A Lamina process's last `count` warnings and errors (pino lines of level 40 and up; KafkaJS's own left out). */
export function warningLines(output: readonly string[], count: number): string[] {
  return output.join('\n').split('\n').filter((line) => /"level":[456]0/.test(line) && !line.includes('KafkaJS')).slice(-count);
}

/** Starts `lamina <args>` and resolves once a log line matches `ready`. */
export async function startLayer(name: string, args: string[], env: Record<string, string>, ready: RegExp, options: StartOptions = {}): Promise<LaminaProcess> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), LAMINA_BIN, ...args], {
    env: { ...process.env, LAMINA_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready within ${timeoutMs} ms:\n${output.slice(-30).join('\n')}`)), timeoutMs);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}:\n${output.slice(-30).join('\n')}`)));
    // Services log on stdout, one-shot commands (a `batch run` started as a process to kill) on stderr.
    const seen = (text: string) => {
      output.push(text);
      if (ready.test(text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    createInterface({ input: child.stdout! }).on('line', seen);
    child.stderr!.on('data', (d: Buffer) => seen(d.toString()));
  });
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited;
  };
  return { name, child, output, exited, kill9: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
}

/** Runs `lamina <args>` to its end, whatever the exit code (fails only past timeoutMs). */
export async function runToEnd(args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<Finished> {
  const started = Date.now();
  const child = spawn(process.execPath, [LAMINA_BIN, ...args], { env: { ...process.env, LAMINA_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`lamina ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  return { code, stdout, stderr, ms: Date.now() - started };
}

/** Runs `lamina <args>` to completion (e.g. the one-shot nightly batch) and returns its stdout. */
export async function runLayer(args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<string> {
  const { code, stdout, stderr } = await runToEnd(args, env, timeoutMs);
  if (code !== 0) throw new Error(`lamina ${args.join(' ')} exited with ${code}:\n${stderr}\n${stdout}`);
  return stdout;
}

/** Produces key<TAB>value lines with kcat, a third-party Kafka client (librdkafka). */
export async function kcatProduce(brokers: string, topic: string, messages: { key: string; value: string }[]): Promise<void> {
  const child = spawn('kcat', ['-P', '-b', brokers, '-t', topic, '-K', '\t', '-X', 'partitioner=murmur2_random'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin!.end(messages.map((m) => `${m.key}\t${m.value}`).join('\n') + '\n');
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`kcat exited with ${code}: ${err}`);
}
