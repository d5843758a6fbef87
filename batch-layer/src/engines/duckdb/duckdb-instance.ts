/**
 * DuckDB in-process with Lamina's settings, for the DuckDB engine and for the view-file writer the
 * Spark engine uses: memory bounded by batch.memoryLimit and spilled to the scratch folder past it,
 * no extension loaded or fetched (Lamina hands it files).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { UnavailableError } from '@lamina/shared';

export interface DuckDbSettings {
  /** DuckDB memory_limit, e.g. '2GB'. */
  memoryLimit: string;
  /** Worker threads; default: DuckDB's (one per core). */
  threads?: number;
  /** Its spill folder is `<scratchDir>/spill`. */
  scratchDir: string;
}

export async function openDuckDb(settings: DuckDbSettings): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
  await mkdir(join(settings.scratchDir, 'spill'), { recursive: true });
  const config: Record<string, string> = {
    memory_limit: settings.memoryLimit,
    temp_directory: join(settings.scratchDir, 'spill'),
    // Row order is never relied on (every state is order-independent, view files are sorted); not keeping it saves memory.
    preserve_insertion_order: 'false',
    enable_external_access: 'true',
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  };
  if (settings.threads !== undefined) config.threads = String(settings.threads);
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(':memory:', config);
  } catch (cause) {
    throw new UnavailableError(`cannot start DuckDB (${(cause as Error).message}); check batch.memoryLimit and batch.threads`, { cause });
  }
  return { instance, connection: await instance.connect() };
}
