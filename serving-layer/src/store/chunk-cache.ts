/**
 * The view chunks in memory, least recently used first out once they exceed the budget. Keyed by data
 * file: files are immutable and shared by the versions (generations) that keep them, so an incremental
 * generation costs only its delta files. A chunk evicted while a query still scans it stays alive until
 * that query ends (garbage collection), so the budget is a target, exceeded at most by running queries.
 */
import { gauge, counter, type Registry } from '@lamina/shared';
import type { ViewChunk } from './view-chunk.js';

export class ChunkCache {
  private readonly chunks = new Map<string, { chunk: Promise<ViewChunk>; bytes: number }>();
  private bytes = 0;
  private readonly metrics;

  constructor(
    private readonly budgetBytes: number,
    registry: Registry,
  ) {
    this.metrics = {
      bytes: gauge(registry, 'lamina_serving_chunk_cache_bytes', 'Bytes of batch view chunks held in memory (budget: serving.memoryBudgetMB)'),
      loads: counter(registry, 'lamina_serving_chunk_loads_total', 'View data files read into memory'),
      evictions: counter(registry, 'lamina_serving_chunk_evictions_total', 'View chunks dropped to stay within the memory budget'),
    };
  }

  get(key: string, load: () => Promise<ViewChunk>): Promise<ViewChunk> {
    const entry = this.chunks.get(key);
    if (entry) {
      // Most recently used last: Map keeps insertion order.
      this.chunks.delete(key);
      this.chunks.set(key, entry);
      return entry.chunk;
    }
    const chunk = load();
    const fresh = { chunk, bytes: 0 };
    this.chunks.set(key, fresh);
    this.metrics.loads.inc();
    chunk.then(
      (c) => {
        if (this.chunks.get(key) !== fresh) return;
        fresh.bytes = c.bytes;
        this.bytes += c.bytes;
        this.evict();
      },
      () => this.chunks.delete(key),
    );
    return chunk;
  }

  private evict(): void {
    for (const [key, entry] of this.chunks) {
      if (this.bytes <= this.budgetBytes || this.chunks.size <= 1) break;
      if (entry.bytes === 0) continue; // still loading
      this.chunks.delete(key);
      this.bytes -= entry.bytes;
      this.metrics.evictions.inc();
    }
    this.metrics.bytes.set(this.bytes);
  }
}
