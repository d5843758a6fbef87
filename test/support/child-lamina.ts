/** Runs `lamina dev` as a real child process, so tests can kill -9 it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { EmbeddedEventLog } from '@lamina/shared';

export interface ChildLamina {
  process: ChildProcess;
  base: string;
  output: string[];
}

/** The test runner exports the Kafka/MinIO env; an embedded-mode child must not inherit it. */
function embeddedEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('LAMINA_') || name.startsWith('AWS_')) delete env[name];
  return env;
}

export async function startChild(dataDir: string, env: Record<string, string> = {}): Promise<ChildLamina> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/src/main.ts', 'dev', '--no-schedule'], {
    env: { ...embeddedEnv(), LAMINA_DATA_DIR: dataDir, PORT: '0', LAMINA_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lamina dev did not start within 30 s:\n${output.join('')}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`lamina dev exited with ${code}:\n${output.join('')}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      const match = /"url":"(http:\/\/localhost:\d+)\/graphql"/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!.replace('localhost', '127.0.0.1'));
      }
    });
  });
  return { process: child, base, output };
}

export async function kill9(child: ChildLamina): Promise<void> {
  if (child.process.exitCode !== null) return;
  const exited = new Promise((resolve) => child.process.once('exit', resolve));
  child.process.kill('SIGKILL');
  await exited;
}

/** SIGTERM and the exit code; kill -9 past `timeoutMs` (then null): a test never hangs on a process that will not stop. */
export async function stopGracefully(child: ChildLamina, timeoutMs = 30_000): Promise<number | null> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return child.process.exitCode;
  const exited = new Promise<number | null>((resolve) => child.process.once('exit', (code) => resolve(code)));
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), timeoutMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Records in an embedded data folder's log, summed over partitions (read with Lamina stopped: it holds the log's lock). */
export async function recordsInLog(dataDir: string): Promise<number> {
  const log = await EmbeddedEventLog.open({ dir: join(dataDir, 'log') });
  try {
    return (await log.endOffsets('events')).reduce((a, b) => a + b, 0);
  } finally {
    await log.close();
  }
}
