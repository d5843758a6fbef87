#!/usr/bin/env node
// Runs every *.test.ts under the workspaces with node's own test runner (through tsx), so CI reads
// node's closing summary. Extra args are file filters: `npm run test:unit -- measures`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const roots = ['shared', 'batch-layer', 'speed-layer', 'serving-layer', 'cli', 'test'];
const filters = process.argv.slice(2);

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
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: { ...process.env, LAMINA_LOG_LEVEL: process.env.LAMINA_LOG_LEVEL ?? 'silent' },
});
process.exit(result.status ?? 1);
