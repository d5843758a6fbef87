/**
 * checkDockerfile: the Dockerfile and .dockerignore read statically (no Docker engine here), against
 * the repo: what npm ci needs, what the ENTRYPOINT runs, tsx being installed, the user, port and volume.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, join, posix, relative } from 'node:path';
import { readRuntimeOptions } from '../../cli/src/runtime-options.js';
import type { LaminaFacts } from './lamina-facts.js';

export interface Instruction {
  line: number;
  op: string;
  args: string;
  /** The arguments in exec (JSON array) form, when they are in it. */
  exec: string[] | undefined;
}

export function parseDockerfile(text: string): Instruction[] {
  const result: Instruction[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    let content = lines[i]!.trim();
    if (content === '' || content.startsWith('#')) continue;
    while (content.endsWith('\\') && i + 1 < lines.length) {
      const next = lines[++i]!.trim();
      content = content.slice(0, -1) + (next.startsWith('#') ? '' : ` ${next}`);
    }
    const m = /^(\S+)\s*(.*)$/.exec(content)!;
    const args = m[2]!.trim();
    let exec: string[] | undefined;
    if (args.startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(args);
        if (Array.isArray(parsed) && parsed.every((a) => typeof a === 'string')) exec = parsed as string[];
      } catch {
        exec = undefined;
      }
    }
    result.push({ line, op: m[1]!.toUpperCase(), args, exec });
  }
  return result;
}

interface Copy {
  line: number;
  source: string;
  /** Absolute path in the image. */
  dest: string;
  destIsDir: boolean;
}

export async function checkDockerfile(dockerfileText: string, dockerignoreText: string, facts: LaminaFacts): Promise<string[]> {
  const problems: string[] = [];
  const all = parseDockerfile(dockerfileText);
  const lastFrom = all.map((i) => i.op).lastIndexOf('FROM');
  if (lastFrom === -1) return ['Dockerfile has no FROM'];
  const stage = all.slice(lastFrom);
  const last = (op: string) => stage.filter((i) => i.op === op).pop();

  const from = /^(?:docker\.io\/(?:library\/)?)?node:(\d+)(?:\.(\d+))?[^\s]*$/.exec(stage[0]!.args.replace(/^--platform=\S+\s+/, '').split(/\s+AS\s+/i)[0]!);
  if (!from) problems.push(`FROM ${stage[0]!.args}: use the official node image with a pinned tag`);
  else if (from[2] === undefined || Number(from[1]) < facts.nodeEngine.major || (Number(from[1]) === facts.nodeEngine.major && Number(from[2]) < facts.nodeEngine.minor)) {
    problems.push(`FROM ${stage[0]!.args}: pin node <major>.<minor> at or above ${facts.nodeEngine.major}.${facts.nodeEngine.minor} (package.json engines), e.g. node:${facts.nodeEngine.major}.${facts.nodeEngine.minor}-bookworm-slim`);
  }

  let workdir = '/';
  const copies: Copy[] = [];
  for (const ins of stage) {
    if (ins.op === 'WORKDIR') workdir = posix.resolve(workdir, ins.args);
    if (ins.op !== 'COPY' && ins.op !== 'ADD') continue;
    const words = ins.exec ?? ins.args.split(/\s+/);
    if (words.some((w) => w.startsWith('--from'))) continue;
    const paths = words.filter((w) => !w.startsWith('--'));
    const dest = posix.resolve(workdir, paths[paths.length - 1]!);
    const sources = paths.slice(0, -1);
    for (const source of sources) {
      if (/[*?[]/.test(source)) problems.push(`line ${ins.line}: wildcard COPY sources are not understood by this check; list the paths`);
      copies.push({ line: ins.line, source: posix.normalize(source).replace(/\/$/, ''), dest, destIsDir: sources.length > 1 || paths[paths.length - 1]!.endsWith('/') });
    }
  }
  const ignored = dockerignore(dockerignoreText);
  /** Where a repo file lands in the image, considering COPYs before `beforeLine` only. */
  const landsAt = (file: string, beforeLine = Infinity): string | undefined => {
    if (ignored(file)) return undefined;
    let target: string | undefined;
    for (const c of copies.filter((c) => c.line < beforeLine)) {
      const isDir = statSync(join(facts.root, c.source), { throwIfNoEntry: false })?.isDirectory() ?? false;
      if (!isDir && c.source === file) target = c.destIsDir ? posix.join(c.dest, basename(file)) : c.dest;
      if (isDir && (c.source === '.' || file.startsWith(`${c.source}/`))) target = posix.join(c.dest, c.source === '.' ? file : posix.relative(c.source, file));
    }
    return target;
  };
  const mustLand = (files: string[], beforeLine: number, why: string) => {
    const missing = files.filter((file) => landsAt(file, beforeLine) !== posix.join(workdir, file));
    if (missing.length === 0) return;
    const first = missing[0]!;
    const excluded = missing.some(ignored) ? ' (.dockerignore excludes it)' : '';
    const more = missing.length > 1 ? ` and ${missing.length - 1} more file(s)` : '';
    problems.push(`${first}${more} must be copied to ${posix.join(workdir, first)}${more ? ' etc.' : ''} ${why}${excluded}`);
  };

  const npmCi = stage.find((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args));
  const entrypoint = last('ENTRYPOINT');
  const usesTsx = entrypoint?.exec?.some((a, i, all) => a === '--import=tsx' || (a === '--import' && all[i + 1] === 'tsx')) ?? false;
  if (!npmCi) problems.push('no RUN npm ci: dependencies must come from package-lock.json');
  else {
    for (const file of ['package.json', 'package-lock.json', ...facts.workspaces.map((w) => `${w}/package.json`)]) mustLand([file], npmCi.line, 'before npm ci (it checks every workspace against the lockfile)');
    const omitsDev = /--omit[= ]dev|--production|--only[= ]prod/.test(npmCi.args) && !/--include[= ]dev/.test(npmCi.args);
    const productionEnv = stage.some((i) => i.op === 'ENV' && i.line < npmCi.line && /\bNODE_ENV[= ]"?production/.test(i.args)) && !/--include[= ]dev/.test(npmCi.args);
    if (usesTsx && facts.devDependencies.has('tsx') && (omitsDev || productionEnv)) {
      problems.push(`line ${npmCi.line}: npm ci leaves out devDependencies, but the ENTRYPOINT runs through tsx, a devDependency`);
    }
  }
  for (const workspace of facts.workspaces) {
    mustLand(filesUnder(facts.root, `${workspace}/src`), Infinity, `(workspace ${workspace}'s sources)`);
  }
  if (ignored('node_modules/x') === false || ignored('shared/node_modules/x') === false) problems.push(".dockerignore must exclude '**/node_modules': the host's would overwrite the image's");

  if (!entrypoint?.exec) problems.push('ENTRYPOINT must be in exec form (a JSON array), or /bin/sh is PID 1 and SIGTERM never reaches Lamina');
  else {
    const script = entrypoint.exec.find((a) => a.endsWith('.ts'));
    if (entrypoint.exec[0] !== 'node' || !usesTsx) problems.push(`ENTRYPOINT must be ["node", "--import", "tsx", "cli/src/main.ts"], got ${entrypoint.args}`);
    else if (script === undefined || posix.resolve(workdir, script) !== posix.join(workdir, 'cli/src/main.ts')) problems.push(`ENTRYPOINT must run cli/src/main.ts (the lamina CLI), got ${script}`);
    else mustLand(['cli/src/main.ts'], Infinity, 'for the ENTRYPOINT');
  }
  const cmd = last('CMD');
  if (!cmd?.exec) problems.push('CMD must be in exec form, e.g. ["dev"]');
  else {
    const probe = await facts.probeCommand(cmd.exec);
    if (probe.problem !== undefined) problems.push(`CMD: ${probe.problem}`);
  }

  const user = last('USER')?.args.split(':')[0];
  if (user === undefined || user === 'root' || user === '0') problems.push('the image must run as a non-root USER (node)');
  const env = new Map<string, string>();
  for (const ins of stage.filter((i) => i.op === 'ENV')) for (const m of ins.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) env.set(m[1]!, m[2]!.replace(/^"|"$/g, ''));
  for (const name of env.keys()) if (/^(LAMINA_|AWS_|PORT$)/.test(name) && !facts.envVars.has(name)) problems.push(`ENV ${name}: cli/src/runtime-options.ts does not read it`);
  const dataDir = env.get('LAMINA_DATA_DIR');
  const volumes = stage.filter((i) => i.op === 'VOLUME').flatMap((i) => i.exec ?? i.args.split(/\s+/));
  if (dataDir === undefined || !volumes.includes(dataDir)) problems.push(`set ENV LAMINA_DATA_DIR and declare it a VOLUME (got LAMINA_DATA_DIR=${dataDir}, VOLUME ${volumes.join(' ') || 'none'})`);
  else if (!stage.some((i) => i.op === 'RUN' && i.args.includes('chown') && i.args.includes(dataDir))) problems.push(`chown ${dataDir} to the USER, or embedded mode cannot write its data`);
  const port = readRuntimeOptions({}).port;
  const exposed = stage.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/)).map((p) => Number(p.replace(/\/tcp$/, '')));
  if (!exposed.includes(port)) problems.push(`EXPOSE ${port}: the default PORT in cli/src/runtime-options.ts`);
  return problems;
}

function filesUnder(root: string, dir: string): string[] {
  const absolute = join(root, dir);
  if (!statSync(absolute, { throwIfNoEntry: false })?.isDirectory()) return [];
  return (readdirSync(absolute, { recursive: true }) as string[])
    .filter((p) => statSync(join(absolute, p)).isFile())
    .map((p) => relative(root, join(absolute, p)).split('\\').join('/'));
}

/** Docker's .dockerignore rules: a pattern excludes a path or any parent of it; `!` re-includes; the last match wins. */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = posix.normalize(l.slice(negate ? 1 : 0).trim()).replace(/^\/+|\/+$/g, '');
      const source = pattern
        .split('/')
        .map((part) => (part === '**' ? '\u0000' : part.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
        .join('/')
        .replace(/\u0000\//g, '(?:.*/)?')
        .replace(/\/\u0000/g, '(?:/.*)?')
        .replace(/\u0000/g, '.*');
      return { negate, re: new RegExp(`^${source}$`) };
    });
  return (path: string) => {
    const parts = path.split('/');
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) if (candidates.some((c) => rule.re.test(c))) excluded = !rule.negate;
    return excluded;
  };
}
