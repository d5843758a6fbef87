/**
 * Lamina layers as real child processes (distributed mode), for end-to-end tests. They run through
 * the `lamina` bin (cli/bin/lamina.mjs), the same entry point `npx lamina` and supervisors use.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

export const LAMINA_BIN = 'cli/bin/lamina.mjs';

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

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** Starts `lamina <args>` and resolves once a log line matches `ready`. */
export async function startLayer(name: string, args: string[], env: Record<string, string>, ready: RegExp, options: StartOptions = {}): Promise<LaminaProcess> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), LAMINA_BIN, ...args], {
    env: { ...process.env, LAMINA_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready within ${timeoutMs} ms:\n${output.slice(-30).join('\n')}`)), timeoutMs);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}:\n${output.slice(-30).join('\n')}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      if (ready.test(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
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
