/**
 * `npm run bench -- soak`: embedded mode (`lamina dev`, every layer in one process) under a fixed
 * HTTP ingest load for 10 minutes, a batch every 2 minutes (batch.schedule). Every 10 s it samples
 * the process's resident memory, the realtime state rows (lamina_speed_state_rows) and the served
 * generation. Flat means: once the generations turn over, memory and realtime state stop growing —
 * the last full cycle's floor of memory within 1.25× of the first full cycle's (peaks include batch
 * runs, so the floor is what shows growth), and its peak of state rows within 1.5×.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import example from '../../cli/src/example-config.js';
import { freePort, startLayer } from '../../test/support/processes.js';
import { writeSection } from '../support/report.js';

const EVENTS_PER_SECOND = 1000;
const BATCH_EVERY_MINUTES = 2;

interface Sample {
  atS: number;
  rssMB: number;
  stateRows: number;
  heapMB: number;
  wasmMB: number;
  generation: number;
  accepted: number;
}

function pageViews(n: number, from: number): unknown[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `soak-${from + i}`, type: 'page_view', ts: new Date(Date.now() - 1000).toISOString(),
    data: { url: `/p${(from + i) % 500}`, country: ['DE', 'FR', 'US', 'BR', 'JP'][(from + i) % 5], userId: `u${(from + i) % 5000}`, durationMs: (from + i) % 3000 },
  }));
}

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
}

export async function runSoakBench(options: { smoke: boolean }): Promise<void> {
  const minutes = options.smoke ? 0.5 : 10;
  const dir = await mkdtemp(join(tmpdir(), 'lamina-soak-'));
  const configFile = join(dir, 'lamina.config.mjs');
  await writeFile(configFile, `export default ${JSON.stringify({ ...example, batch: { schedule: `*/${BATCH_EVERY_MINUTES} * * * *` } })};\n`);
  const port = await freePort();
  const lamina = await startLayer('dev', ['dev'], { PORT: String(port), LAMINA_DATA_DIR: join(dir, 'data'), LAMINA_CONFIG: configFile }, /Lamina is running/, { timeoutMs: 120_000 });
  const base = `http://127.0.0.1:${port}`;
  const samples: Sample[] = [];
  let sent = 0;
  let failed = 0;
  const started = Date.now();
  const inFlight = new Set<Promise<unknown>>();
  // The load: a request of 100 events every 100 ms, whatever the answers take (a fixed rate, not a closed loop).
  const load = setInterval(() => {
    const body = JSON.stringify(pageViews(EVENTS_PER_SECOND / 10, sent));
    sent += EVENTS_PER_SECOND / 10;
    const request = fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => (r.ok ? r.arrayBuffer() : ((failed += 1), r.arrayBuffer())), () => (failed += 1));
    inFlight.add(request);
    void request.finally(() => inFlight.delete(request));
  }, 100);
  try {
    while (Date.now() - started < minutes * 60_000) {
      await new Promise((r) => setTimeout(r, options.smoke ? 2000 : 10_000));
      const status = await readFile(`/proc/${lamina.child.pid}/status`, 'utf8');
      samples.push({
        atS: Math.round((Date.now() - started) / 1000),
        rssMB: Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024,
        stateRows: await metric(base, 'lamina_speed_state_rows'),
        heapMB: (await metric(base, 'lamina_process_nodejs_heap_size_used_bytes')) / 2 ** 20,
        wasmMB: (await metric(base, 'lamina_process_parquet_wasm_bytes')) / 2 ** 20,
        generation: await metric(base, 'lamina_batch_published_generation'),
        accepted: await metric(base, 'lamina_ingest_events_accepted_total'),
      });
      const last = samples.at(-1)!;
      console.error(`[bench soak] ${last.atS} s: RSS ${last.rssMB.toFixed(0)} MB (V8 heap ${last.heapMB.toFixed(0)}, Parquet wasm ${last.wasmMB.toFixed(0)}), realtime rows ${last.stateRows}, generation ${last.generation}, ${last.accepted} events accepted`);
    }
  } finally {
    clearInterval(load);
    await Promise.allSettled([...inFlight]); // answered before the process stops, not cut off by it
    await lamina.stop();
    await rm(dir, { recursive: true, force: true });
  }
  await report(samples, { minutes, sent, failed, smoke: options.smoke });
}

async function report(samples: Sample[], run: { minutes: number; sent: number; failed: number; smoke: boolean }): Promise<void> {
  // Cycles: the samples between two generations; the first full one starts at the second generation.
  const cycles = new Map<number, Sample[]>();
  for (const s of samples) (cycles.get(s.generation) ?? cycles.set(s.generation, []).get(s.generation)!).push(s);
  // Full cycles: from the second generation on, and not the last one (cut short by the end of the run).
  const full = [...cycles.entries()].filter(([g]) => g >= 2).map(([, c]) => c).slice(0, -1);
  const peak = (c: Sample[], f: (s: Sample) => number) => Math.max(...c.map(f));
  const floor = (c: Sample[], f: (s: Sample) => number) => Math.min(...c.map(f));
  const first = full[0];
  const lastCycle = full.at(-1);
  const rssRatio = first && lastCycle ? floor(lastCycle, (s) => s.rssMB) / floor(first, (s) => s.rssMB) : Number.NaN;
  const rowsRatio = first && lastCycle ? peak(lastCycle, (s) => s.stateRows) / Math.max(1, peak(first, (s) => s.stateRows)) : Number.NaN;
  const yes = (ok: boolean) => (ok ? 'yes' : '**no**');
  const lines = [
    '## Soak (`npm run bench -- soak`)',
    '',
    `Embedded mode (\`lamina dev\`: every layer in one process, embedded log, local lake), ${run.minutes} minutes of HTTP ingest at a fixed`,
    `${EVENTS_PER_SECOND.toLocaleString('en')} events/s (a request of 100 every 100 ms, example config: 500 urls, 5 countries, 5,000 users), a batch every`,
    `${BATCH_EVERY_MINUTES} minutes (batch.schedule). ${run.sent.toLocaleString('en')} events sent, ${run.failed} requests failed. Sampled every 10 s; a cycle is the time one generation is served.`,
    '',
    '| generation | samples | RSS min / peak | V8 heap used min / peak | Parquet WebAssembly memory peak | realtime state rows min / peak |',
    '|---|---|---|---|---|---|',
    ...[...cycles.entries()].map(([g, c]) => `| ${g} | ${c.length} | ${floor(c, (s) => s.rssMB).toFixed(0)} / ${peak(c, (s) => s.rssMB).toFixed(0)} MB | ${floor(c, (s) => s.heapMB).toFixed(0)} / ${peak(c, (s) => s.heapMB).toFixed(0)} MB | ${peak(c, (s) => s.wasmMB).toFixed(0)} MB | ${floor(c, (s) => s.stateRows).toLocaleString('en')} / ${peak(c, (s) => s.stateRows).toLocaleString('en')} |`),
    '',
    '| goal | measured | met |',
    '|---|---|---|',
    `| RSS flat once generations turn over: the last full cycle's floor ≤ 1.25 × the first full cycle's | ${rssRatio.toFixed(2)}× | ${yes(rssRatio <= 1.25)} |`,
    `| realtime state flat: the last full cycle's peak rows ≤ 1.5 × the first full cycle's | ${rowsRatio.toFixed(2)}× | ${yes(rowsRatio <= 1.5)} |`,
    `| no ingest request failed | ${run.failed} | ${yes(run.failed === 0)} |`,
    '',
  ];
  if (run.smoke) {
    console.log(lines.join('\n'));
    return;
  }
  await writeSection('soak', lines.join('\n'));
  console.log(lines.join('\n'));
}
