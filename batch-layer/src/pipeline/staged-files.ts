/**
 * Puts the raw files a run reads where the engine can open them: in place when the lake is a local
 * folder, else downloaded once into the run's scratch folder (a few at a time). S3 therefore never
 * depends on an engine extension (DuckDB's httpfs/delta are not bundled, and cannot be fetched here).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dataFileKey, type AddFile, type ObjectStore } from '@lamina/shared';

const DOWNLOAD_CONCURRENCY = 8;

export class StagedFiles {
  private readonly paths = new Map<string, Promise<string>>();
  private count = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly scratchDir: string,
  ) {}

  /** Local paths of `files` of the table at `tablePath`. */
  async localPaths(tablePath: string, files: readonly AddFile[]): Promise<string[]> {
    const out: string[] = new Array(files.length);
    for (let i = 0; i < files.length; i += DOWNLOAD_CONCURRENCY) {
      const chunk = files.slice(i, i + DOWNLOAD_CONCURRENCY);
      const paths = await Promise.all(chunk.map((f) => this.pathOf(dataFileKey(tablePath, f.path))));
      paths.forEach((p, j) => (out[i + j] = p));
    }
    return out;
  }

  private pathOf(key: string): Promise<string> {
    let path = this.paths.get(key);
    if (!path) {
      path = this.store.localPath ? Promise.resolve(this.store.localPath(key)) : this.download(key);
      this.paths.set(key, path);
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
