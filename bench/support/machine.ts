/** The machine and versions a benchmark ran on, for BENCHMARKS.md. */
import { cpus, totalmem, release } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function machine(): Record<string, string> {
  const root = new URL('../..', import.meta.url).pathname;
  // Read from node_modules directly: some packages' `exports` hide their package.json from require.
  const version = (pkg: string) => {
    try {
      return (JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return 'unknown';
    }
  };
  return {
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    date: new Date().toISOString().slice(0, 10),
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `Linux ${release()}`,
    node: process.version,
    duckdb: version('@duckdb/node-api'),
    'parquet-wasm': version('parquet-wasm'),
    lamina: `${(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version}`,
  };
}
