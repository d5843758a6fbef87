/**
 * What the Docker packaging is checked against, read from the sources rather than restated in the
 * test: the env vars the CLI reads, the Kafka pin, the workspaces and devDependencies, and which
 * `lamina …` commands exist (asked of the real CLI).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CommandProbe {
  /** Why the words are not a runnable `lamina` command; undefined when they are. */
  problem: string | undefined;
  /** The command's --help text (empty when the CLI printed none). */
  help: string;
}

export interface LaminaFacts {
  root: string;
  /** Env var names cli/src/runtime-options.ts reads (the only place that reads the environment). */
  envVars: ReadonlySet<string>;
  /** `<kafka.version>` in infra/kafka/pom.xml, the Kafka the non-Docker stack runs. */
  kafkaVersion: string;
  workspaces: readonly string[];
  devDependencies: ReadonlySet<string>;
  /** The `>=X.Y` of package.json's engines.node. */
  nodeEngine: { major: number; minor: number };
  /** Runs `lamina <words…> --help` (memoised) and judges whether the words name a leaf command. */
  probeCommand(words: readonly string[]): Promise<CommandProbe>;
}

export function readLaminaFacts(root: string): LaminaFacts {
  const read = (path: string) => readFileSync(join(root, path), 'utf8');
  const pkg = JSON.parse(read('package.json')) as { workspaces?: string[]; devDependencies?: Record<string, string>; engines?: { node?: string } };
  const engine = /^>=\s*(\d+)\.(\d+)/.exec(pkg.engines?.node ?? '');
  if (!engine) throw new Error(`package.json engines.node should read '>=X.Y', got '${pkg.engines?.node}'`);
  const kafka = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(read('infra/kafka/pom.xml'));
  if (!kafka) throw new Error('infra/kafka/pom.xml has no <kafka.version> property');
  const probes = new Map<string, Promise<CommandProbe>>();
  const help = helpRunner(root);
  return {
    root,
    envVars: envVarsRead(read('cli/src/runtime-options.ts')),
    kafkaVersion: kafka[1]!,
    workspaces: pkg.workspaces ?? [],
    devDependencies: new Set(Object.keys(pkg.devDependencies ?? {})),
    nodeEngine: { major: Number(engine[1]), minor: Number(engine[2]) },
    probeCommand(words) {
      const key = JSON.stringify(words);
      if (!probes.has(key)) probes.set(key, probeCommand(words, help));
      return probes.get(key)!;
    },
  };
}

/** `env.NAME` and `env['NAME']` occurrences. */
export function envVarsRead(source: string): Set<string> {
  const names = new Set<string>();
  for (const m of source.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]*)\b|\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\])/g)) names.add((m[1] ?? m[2])!);
  return names;
}

/**
 * Commander exits 0 on `--help` even for unknown words (`lamina bogus --help` prints the root help),
 * so the verdict comes from the Usage line: it must name exactly these words, and not end in
 * `[command]` (a group such as `batch`, which runs nothing). Options must appear in the help.
 */
async function probeCommand(words: readonly string[], help: (path: readonly string[]) => Promise<HelpRun>): Promise<CommandProbe> {
  const path = words.filter((w) => !w.startsWith('-'));
  const options = words.filter((w) => w.startsWith('-')).map((w) => w.split('=')[0]!);
  const shown = `lamina ${words.join(' ')}`;
  if (words.length === 0) return { problem: 'empty command: the image would run its default CMD', help: '' };
  const firstOption = words.findIndex((w) => w.startsWith('-'));
  if (firstOption !== -1 && firstOption < path.length) {
    return { problem: `'${shown}': put options after the command words, and give values as --option=value`, help: '' };
  }
  const { code, stdout, stderr } = await help(path);
  if (code !== 0) return { problem: `'${shown} --help' exited with ${code}: ${stderr.trim().slice(0, 300)}`, help: stdout };
  const usage = /^Usage: (.*)$/m.exec(stdout)?.[1]?.trim() ?? '';
  const expected = ['lamina', ...path].join(' ');
  if (!(usage === expected || usage.startsWith(`${expected} [`) || usage.startsWith(`${expected} <`))) {
    return { problem: `'${shown}' is not a lamina command (its --help shows 'Usage: ${usage}')`, help: stdout };
  }
  if (/\[command\]$|<command>$/.test(usage)) return { problem: `'${shown}' is a command group, not a command (Usage: ${usage})`, help: stdout };
  const unknown = options.filter((o) => !new RegExp(`(^|[\\s,])${o.replace(/[-]/g, '\\-')}(?=[\\s,=<[]|$)`, 'm').test(stdout));
  if (unknown.length > 0) return { problem: `'${shown}': ${unknown.join(', ')} not in its --help`, help: stdout };
  return { problem: undefined, help: stdout };
}

interface HelpRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface HelpRequest {
  path: readonly string[];
  settle: (run: HelpRun) => void;
  fail: (error: Error) => void;
}

/**
 * `lamina <path…> --help`, memoised. Requests made in the same turn of the event loop share one
 * child process (cli-help-child.ts), which evaluates main.ts afresh for each of them.
 */
function helpRunner(root: string): (path: readonly string[]) => Promise<HelpRun> {
  const runs = new Map<string, Promise<HelpRun>>();
  let batch: HelpRequest[] | undefined;
  const flush = async (requests: HelpRequest[]) => {
    try {
      const child = await run(process.execPath, ['--import', 'tsx', 'test/support/cli-help-child.ts', JSON.stringify(requests.map((r) => r.path))], root);
      if (child.code !== 0) throw new Error(`test/support/cli-help-child.ts exited with ${child.code}: ${child.stderr}`);
      const results = JSON.parse(child.stdout) as HelpRun[];
      requests.forEach((r, i) => r.settle(results[i]!));
    } catch (error) {
      for (const r of requests) r.fail(error as Error);
    }
  };
  return (path) => {
    const key = JSON.stringify(path);
    if (!runs.has(key)) {
      if (batch === undefined) {
        const requests: HelpRequest[] = [];
        batch = requests;
        setImmediate(() => {
          batch = undefined;
          void flush(requests);
        });
      }
      const requests = batch;
      runs.set(key, new Promise<HelpRun>((settle, fail) => requests.push({ path, settle, fail })));
    }
    return runs.get(key)!;
  };
}

function run(command: string, args: string[], cwd: string): Promise<HelpRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LAMINA_LOG_LEVEL: 'silent' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
