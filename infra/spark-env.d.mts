// Types for infra/spark-env.mjs, so TypeScript benches and tests can provision the Spark engine.
export function ensureSparkEnv(options: { cacheDir: string; log?: (line: string) => void }): { python: string; jars: string[] };
