/** Generates a benchmark lake in its own process: `generate.ts <dir> <events> [append <seed>]`. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalObjectStore, openLake } from '@lamina/shared';
import { benchConfig } from './bench-config.js';
import { writeClickstream } from './clickstream-data.js';

const [dir, events, append, seed] = process.argv.slice(2);
const config = benchConfig();
const lake = await openLake(new LocalObjectStore({ root: join(dir!, 'lake') }), config);
const offsetsFile = join(dir!, 'offsets.json');
const DAY_MS = 86_400_000;
const start = Date.UTC(2026, 10, 1);
const spec = { events: Number(events), users: 50_000, urls: 500, countries: 30, days: 3, start, seed: Number(seed ?? 1) };
const started = performance.now();
const offsets = append
  ? // New events spread over the last 2 of the 3 days (late ones included: event time is random there).
    await writeClickstream(lake, config, { ...spec, start: start + DAY_MS, days: 2, firstOffsets: JSON.parse(await readFile(offsetsFile, 'utf8')) as number[] })
  : await writeClickstream(lake, config, spec);
await writeFile(offsetsFile, JSON.stringify(offsets));
console.log(JSON.stringify({ ms: performance.now() - started, events: Number(events) }));
