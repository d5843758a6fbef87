/**
 * Prometheus metrics. Every layer registers its own instruments on a registry handed in by the
 * entry point, so several layers in one process (embedded mode) share one /metrics endpoint and
 * tests get a fresh registry each.
 */
import type { ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { parquetWasmBytes } from '../lake/parquet-io.js';

export { Registry };

export function createRegistry(options: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.defaultMetrics) {
    collectDefaultMetrics({ register: registry, prefix: 'lamina_process_' });
    collectedGauge(registry, 'lamina_process_parquet_wasm_bytes', 'WebAssembly memory of the Parquet codec (grows to the largest file read or written, never shrinks)', [], (g) => g.set(parquetWasmBytes()));
  }
  return registry;
}

function existing<T>(registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined;
}

/** Get-or-create, so two components in one process may ask for the same instrument. */
export function counter(registry: Registry, name: string, help: string, labelNames: string[] = []): Counter<string> {
  return existing<Counter<string>>(registry, name) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

export function gauge(registry: Registry, name: string, help: string, labelNames: string[] = []): Gauge<string> {
  return existing<Gauge<string>>(registry, name) ?? new Gauge({ name, help, labelNames, registers: [registry] });
}

/** A gauge whose value is computed when /metrics is scraped (a size, an age), not kept up to date. */
export function collectedGauge(registry: Registry, name: string, help: string, labelNames: string[], collect: (gauge: Gauge<string>) => void): Gauge<string> {
  return existing<Gauge<string>>(registry, name) ?? new Gauge({ name, help, labelNames, registers: [registry], collect() { collect(this); } });
}

export function histogram(registry: Registry, name: string, help: string, labelNames: string[] = [], buckets?: number[]): Histogram<string> {
  return existing<Histogram<string>>(registry, name) ?? new Histogram({ name, help, labelNames, registers: [registry], ...(buckets ? { buckets } : {}) });
}

/**
 * The registry's metrics in the text format, without the families named in `leaveOut`: a registry
 * whose text is joined to another's must not repeat a family that one reports (Prometheus refuses
 * a scrape that names a family twice).
 */
export async function metricsTextWithout(registry: Registry, leaveOut: readonly string[]): Promise<string> {
  const skip = new Set(leaveOut);
  const names = registry.getMetricsAsArray().map((metric) => metric.name).filter((name) => !skip.has(name));
  const parts = await Promise.all(names.map((name) => registry.getSingleMetricAsString(name)));
  return parts.length === 0 ? '' : `${parts.join('\n')}\n`;
}

/** Answers a scrape of GET /metrics. */
export async function sendMetrics(res: ServerResponse, registry: Registry, more?: () => Promise<string>): Promise<void> {
  // The other registry's part is best effort: a scrape still answers with this registry's metrics.
  const [own, other] = await Promise.all([registry.metrics(), more ? more().catch(() => '') : '']);
  const text = own + other;
  res.writeHead(200, { 'content-type': registry.contentType });
  res.end(text);
}
