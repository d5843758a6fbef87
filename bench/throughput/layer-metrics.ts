/** Reads a Lamina process's Prometheus metrics: sums of metrics' samples, and waiting for a level. */
function sumOf(text: string, name: string): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

/** Each metric's sum over its samples, from one scrape. */
export async function metricSums(metricsUrl: string, names: readonly string[]): Promise<number[]> {
  const text = await (await fetch(metricsUrl)).text();
  return names.map((name) => sumOf(text, name));
}

/** Polls every 50 ms until `name` sums to at least `level`; returns when that was seen (performance.now()). */
export async function waitForMetric(metricsUrl: string, name: string, level: number, timeoutMs = 600_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [value] = await metricSums(metricsUrl, [name]);
    if (value! >= level) return performance.now();
    if (Date.now() > deadline) throw new Error(`${name} reached ${value} of ${level} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
