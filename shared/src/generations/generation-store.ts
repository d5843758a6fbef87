/**
 * Publishes and finds generations. Publishing generation G is one create-only write of its manifest:
 * of two racing batch runs exactly one publishes G, and a crash before that write publishes nothing.
 * CURRENT is only a hint (like Delta's _last_checkpoint); the manifests are the truth.
 */
import { ConflictError, CorruptDataError, NotFoundError } from '../errors.js';
import { lakeLayout } from '../lake-layout.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { GenerationManifest } from './manifest.js';

const decoder = new TextDecoder();
const manifestKey = (g: number) => `${lakeLayout.generationsPrefix}${String(g).padStart(20, '0')}.json`;
const manifestPattern = /(\d{20})\.json$/;

export class GenerationStore {
  constructor(private readonly store: ObjectStore) {}

  /** The newest published generation, or undefined before the first batch run. */
  async latest(): Promise<GenerationManifest | undefined> {
    const newest = await this.latestNumber();
    return newest > 0 ? this.get(newest) : undefined;
  }

  /** The newest published generation's number (0 before the first batch run), without reading its manifest. */
  async latestNumber(): Promise<number> {
    const hint = await this.store.tryGet(lakeLayout.currentPointer);
    let newest = hint ? Number(decoder.decode(hint).trim()) : 0;
    if (!Number.isSafeInteger(newest) || newest < 0) newest = 0;
    // The hint may lag (a crash between the manifest and the hint): look past it.
    const startAfter = newest > 0 ? manifestKey(newest) : undefined;
    for await (const info of this.store.list(lakeLayout.generationsPrefix, startAfter ? { startAfter } : {})) {
      const match = manifestPattern.exec(info.key);
      if (match) newest = Math.max(newest, Number(match[1]));
    }
    return newest;
  }

  /** Every published generation's number, oldest first, with when its manifest was written. */
  async list(): Promise<{ generation: number; key: string; lastModified: Date }[]> {
    const out: { generation: number; key: string; lastModified: Date }[] = [];
    for await (const info of this.store.list(lakeLayout.generationsPrefix)) {
      const match = manifestPattern.exec(info.key);
      if (match) out.push({ generation: Number(match[1]), key: info.key, lastModified: info.lastModified });
    }
    return out.sort((a, b) => a.generation - b.generation);
  }

  async get(generation: number): Promise<GenerationManifest> {
    const bytes = await this.store.tryGet(manifestKey(generation));
    if (!bytes) throw new NotFoundError(`generation ${generation} is not published (no ${manifestKey(generation)})`);
    try {
      return JSON.parse(decoder.decode(bytes)) as GenerationManifest;
    } catch (cause) {
      throw new CorruptDataError(`manifest ${manifestKey(generation)} is not valid JSON`, { cause });
    }
  }

  /** Publishes atomically; ConflictError if another run already published that generation number. */
  async publish(manifest: GenerationManifest): Promise<void> {
    const created = await this.store.putIfAbsent(manifestKey(manifest.generation), JSON.stringify(manifest, null, 2));
    if (!created) throw new ConflictError(`generation ${manifest.generation} was published by another batch run meanwhile; run the batch again`);
    await this.store.put(lakeLayout.currentPointer, String(manifest.generation));
  }
}
