/**
 * Puts the raw files a run reads where the engine can open them: at the engine's own URIs when it
 * reads the store itself (Spark: s3a://…), in place when the lake is a local folder, else downloaded
 * once into the run's scratch folder (a few at a time). S3 therefore never depends on an engine
 * extension (DuckDB's httpfs/delta are not bundled, and cannot be fetched here).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dataFileKey, type AddFile, type ObjectStore } from '@lamina/shared';

const DOWNLOAD_CONCURRENCY = 8;

export class StagedFiles {
  private readonly known = new Map<string, Promise<string>>();
  private count = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly scratchDir: string,
    /** The engine's URI of a store key, when it reads the store itself (BatchEngine.storeUri). */
    private readonly uriOf?: (key: string) => string,
  ) {}

  /** Paths the engine reads `files` of the table at `tablePath` from. */
  async paths(tablePath: string, files: readonly AddFile[]): Promise<string[]> {
    const out: string[] = new Array(files.length);
    for (let i = 0; i < files.length; i += DOWNLOAD_CONCURRENCY) {
      const chunk = files.slice(i, i + DOWNLOAD_CONCURRENCY);
      const paths = await Promise.all(chunk.map((f) => this.pathOf(dataFileKey(tablePath, f.path))));
      paths.forEach((p, j) => (out[i + j] = p));
    }
    return out;
  }

  private pathOf(key: string): Promise<string> {
    let path = this.known.get(key);
    if (!path) {
      path = this.uriOf ? Promise.resolve(this.uriOf(key)) : this.store.localPath ? Promise.resolve(this.store.localPath(key)) : this.download(key);
      this.known.set(key, path);
    }
    return path;
  }

  private async download(key: string): Promise<string> {
    const dir = join(this.scratchDir, 'staged');
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${this.count++}.parquet`);
    await writeFile(path, await this.store.get(key));
    return path;
  }
}
