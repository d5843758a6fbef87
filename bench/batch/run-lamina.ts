/** One Lamina batch run in its own process (so its peak RSS is its own): prints a JSON line. */
import { join } from 'node:path';
import { BatchJob } from '@lamina/batch-layer';
import { LocalObjectStore, createRegistry, silentLogger } from '@lamina/shared';
import { benchConfig } from './bench-config.js';

const [dir, mode, threads] = process.argv.slice(2);
const config = benchConfig({ memoryLimit: process.env.BENCH_MEMORY_LIMIT ?? '2GB', ...(threads ? { threads: Number(threads) } : {}) });
const job = new BatchJob({ config, store: new LocalObjectStore({ root: join(dir!, 'lake') }), logger: silentLogger, registry: createRegistry(), scratchDir: join(dir!, 'scratch') });
const started = performance.now();
const manifest = await job.run({ full: mode === 'full' });
const ms = performance.now() - started;
console.log(JSON.stringify({ ms, mode: manifest.mode, events: manifest.events, rows: manifest.views.pageviews?.rows, timings: manifest.timingsMs, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
