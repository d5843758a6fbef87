/** The machine and versions a benchmark ran on, for BENCHMARKS.md. */
import { cpus, totalmem, release } from 'node:os';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export function machine(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const version = (pkg: string) => {
    try {
      return (require(`${pkg}/package.json`) as { version: string }).version;
    } catch {
      return 'unknown';
    }
  };
  return {
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `Linux ${release()}`,
    node: process.version,
    duckdb: version('@duckdb/node-api'),
    'parquet-wasm': version('parquet-wasm'),
    lamina: (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version,
  };
}
