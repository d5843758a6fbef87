/**
 * BENCHMARKS.md: each scenario writes its section to bench/results/<scenario>.md; the report is the
 * sections of every scenario run so far, under one header with the machine.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { machine } from './machine.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const RESULTS = join(ROOT, 'bench', 'results');

export async function writeSection(scenario: string, markdown: string): Promise<void> {
  await mkdir(RESULTS, { recursive: true });
  await writeFile(join(RESULTS, `${scenario}.md`), markdown);
  const sections = (await readdir(RESULTS)).filter((f) => f.endsWith('.md')).sort();
  const m = machine();
  const header = [
    '# Benchmarks',
    '',
    'Written by `npm run bench -- <scenario>` (see bench/README.md). Every figure is a median of the rounds stated, with its',
    'baseline measured in the same script on the same machine; ratios, not absolute times, are what carry over to other machines.',
    '',
    '| machine | |',
    '|---|---|',
    ...Object.entries(m).map(([k, v]) => `| ${k} | ${v} |`),
    '',
  ];
  const bodies = await Promise.all(sections.map((f) => readFile(join(RESULTS, f), 'utf8')));
  await writeFile(join(ROOT, 'BENCHMARKS.md'), [...header, ...bodies].join('\n'));
}
