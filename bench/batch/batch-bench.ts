/**
 * The batch benchmark (issue: the batch layer at DuckDB speed). Per size: a generated clickstream lake
 * (50k users, 500 urls, 30 countries, 3 days, Zipf urls and countries); per round, in fresh processes:
 *   - the baseline of the issue: hand-written DuckDB SQL, 1 thread, same files, same grouping,
 *     approx_count_distinct + approx_quantile;
 *   - a stronger reference: the same with DuckDB's exact quantile_disc (which is much faster here);
 *   - Lamina's full batch run (default threads, then 1 thread like the baseline);
 *   - 1 % new events spread over the last 2 days, then Lamina's incremental run.
 * Medians of the rounds; ratios against the goals; BENCHMARKS.md rewritten (not in --smoke).
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, runStep } from '../support/child.js';
import { writeSection } from '../support/report.js';

interface BaselineResult { ms: number; rows: number; maxRssMB: number }
interface LaminaResult { ms: number; mode: string; events: number; rows: number; timings: Record<string, number>; maxRssMB: number }

const here = new URL('.', import.meta.url).pathname;
const step = (name: string) => join(here, name);

interface SizeResult {
  events: number;
  baseline: BaselineResult[];
  exact: BaselineResult[];
  full: LaminaResult[];
  full1: LaminaResult[];
  incremental: LaminaResult[];
}

export async function runBatchBench(options: { smoke: boolean }): Promise<void> {
  const sizes = options.smoke ? [20_000] : [1_000_000, 4_000_000];
  const rounds = options.smoke ? 1 : 3;
  const work = await mkdtemp(join(tmpdir(), 'lamina-bench-batch-'));
  const results: SizeResult[] = [];
  try {
    for (const events of sizes) {
      const base = join(work, `base-${events}`);
      console.error(`[bench batch] generating ${events} events`);
      await runStep(step('generate.ts'), [base, String(events)]);
      const r: SizeResult = { events, baseline: [], exact: [], full: [], full1: [], incremental: [] };
      for (let round = 1; round <= rounds; round++) {
        r.baseline.push(await runStep(step('run-baseline.ts'), [base, 'approx']));
        r.exact.push(await runStep(step('run-baseline.ts'), [base, 'exact']));
        const dir = join(work, `round-${events}-${round}`);
        await cp(base, dir, { recursive: true });
        r.full.push(await runStep(step('run-lamina.ts'), [dir, 'full']));
        r.full1.push(await runStep(step('run-lamina.ts'), [dir, 'full', '1']));
        await runStep(step('generate.ts'), [dir, String(Math.max(1, events / 100)), 'append', String(100 + round)]);
        r.incremental.push(await runStep(step('run-lamina.ts'), [dir, 'incremental']));
        await rm(dir, { recursive: true, force: true });
        const last = (xs: { ms: number }[]) => `${(xs.at(-1)!.ms / 1000).toFixed(1)} s`;
        console.error(`[bench batch] ${events} round ${round}: baseline ${last(r.baseline)}, exact ${last(r.exact)}, lamina ${last(r.full)} (1 thread ${last(r.full1)}), incremental ${last(r.incremental)}`);
      }
      for (const x of r.incremental) if (x.mode !== 'incremental') throw new Error(`the run after 1 % new events was ${x.mode}, not incremental`);
      results.push(r);
      await rm(base, { recursive: true, force: true });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const markdown = report(results, rounds);
  console.log(markdown);
  if (!options.smoke) await writeSection('batch', markdown);
}

function report(results: SizeResult[], rounds: number): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const mb = (x: number) => `${Math.round(x)} MB`;
  const m = (xs: { ms: number }[]) => median(xs.map((x) => x.ms));
  const rss = (xs: { maxRssMB: number }[]) => median(xs.map((x) => x.maxRssMB));
  const lines = [
    '## Batch layer (`npm run bench -- batch`)',
    '',
    `\`pageviews\` (url × country × minute: count, HLL distinct users, DDSketch p95 duration, avg duration) over a generated`,
    `clickstream (50k users, 500 urls, 30 countries, 3 days; Zipf urls and countries). Medians of ${rounds} rounds, each step`,
    'in its own process. Baseline (the issue\'s): hand-written DuckDB SQL, 1 thread, same files and grouping, `approx_count_distinct`',
    '+ `approx_quantile`. Reference: the same with DuckDB\'s exact `quantile_disc` (faster than `approx_quantile` on many small groups).',
    'Lamina writes the view table (Parquet, date-partitioned) and publishes a generation; its states are byte-identical to the',
    'TypeScript fold (MD5 HyperLogLog, DDSketch), which DuckDB\'s built-in sketches are not.',
    '',
    '| events | view rows | baseline | reference (exact quantile) | Lamina full, 2 threads | Lamina full, 1 thread | Lamina incremental (+1 %) |',
    '|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.events.toLocaleString('en')} | ${r.full[0]!.rows.toLocaleString('en')} | ${s(m(r.baseline))} | ${s(m(r.exact))} | ${s(m(r.full))} | ${s(m(r.full1))} | ${s(m(r.incremental))} |`),
    '',
    '| events | peak RSS baseline | reference | Lamina full | Lamina 1 thread | Lamina incremental |',
    '|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.events.toLocaleString('en')} | ${mb(rss(r.baseline))} | ${mb(rss(r.exact))} | ${mb(rss(r.full))} | ${mb(rss(r.full1))} | ${mb(rss(r.incremental))} |`),
    '',
    '| goal | measured | met |',
    '|---|---|---|',
  ];
  const goal = (name: string, measured: string, ok: boolean) => lines.push(`| ${name} | ${measured} | ${ok ? 'yes' : '**no**'} |`);
  for (const r of results) {
    const ratio = m(r.baseline) / m(r.full);
    goal(`${r.events.toLocaleString('en')} events: throughput ≥ 0.5× baseline`, `${ratio.toFixed(2)}× (1 thread: ${(m(r.baseline) / m(r.full1)).toFixed(2)}×; vs reference: ${(m(r.exact) / m(r.full)).toFixed(2)}×)`, ratio >= 0.5);
    goal(`${r.events.toLocaleString('en')} events: peak RSS ≤ 1.5× baseline`, `${(rss(r.full) / rss(r.baseline)).toFixed(2)}× (vs reference ${(rss(r.full) / rss(r.exact)).toFixed(2)}×)`, rss(r.full) <= 1.5 * rss(r.baseline));
    goal(`${r.events.toLocaleString('en')} events: incremental ≤ 10 % of full`, `${((100 * m(r.incremental)) / m(r.full)).toFixed(1)} %`, m(r.incremental) <= 0.1 * m(r.full));
  }
  if (results.length >= 2) {
    const [small, large] = [results[0]!, results.at(-1)!];
    const growth = m(large.full) / m(small.full);
    goal(`${(large.events / small.events).toFixed(0)}× the events take ≤ 4.5× the time`, `${growth.toFixed(2)}×`, growth <= 4.5);
  }
  const t = results.at(-1)!.full;
  const stages = Object.keys(t[0]!.timings).map((k) => `${k} ${s(median(t.map((x) => x.timings[k] ?? 0)))}`).join(', ');
  lines.push('', `Where Lamina's time goes at ${results.at(-1)!.events.toLocaleString('en')} events (stage medians): ${stages}.`, '');
  return lines.join('\n');
}
