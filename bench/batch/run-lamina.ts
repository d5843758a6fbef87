/**
 * One Lamina batch run in its own process (so its peak RSS is its own): prints a JSON line.
 * `run-lamina.ts <dir> <full|incremental> [threads] [spark master]`; with a master, the Spark engine
 * runs (its python and jars from BENCH_SPARK, JSON), and the peak RSS is this process's only.
 */
import { join } from 'node:path';
import { BatchJob } from '@lamina/batch-layer';
import { LocalObjectStore, createRegistry, silentLogger } from '@lamina/shared';
import { benchConfig } from './bench-config.js';

const [dir, mode, threads, master] = process.argv.slice(2);
const spark = master ? { engine: 'spark', spark: { master, ...(JSON.parse(process.env.BENCH_SPARK ?? '{}') as { python: string; jars: string[] }) } } : {};
const config = benchConfig({ memoryLimit: process.env.BENCH_MEMORY_LIMIT ?? '2GB', ...(threads && threads !== '-' ? { threads: Number(threads) } : {}), ...spark });
const job = new BatchJob({ config, store: new LocalObjectStore({ root: join(dir!, 'lake') }), logger: silentLogger, registry: createRegistry(), scratchDir: join(dir!, 'scratch') });
const started = performance.now();
const manifest = await job.run({ full: mode === 'full' });
const ms = performance.now() - started;
console.log(JSON.stringify({ ms, mode: manifest.mode, events: manifest.events, rows: manifest.views.pageviews?.rows, timings: manifest.timingsMs, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
