/**
 * The events the throughput benchmark posts: page views of about 200 bytes as JSON, unique ids
 * (`<run>-<request>-<index>`), event times spread over the last hour so every one is plausible.
 */
const HOUR = 3_600_000;

/** One page view; `n` picks its url, country, user and duration. */
export function pageView(id: string, n: number, ts: number): Record<string, unknown> {
  return {
    id,
    type: 'page_view',
    ts: new Date(ts).toISOString(),
    data: {
      url: `/products/category-${n % 40}/item-${(n * 7919) % 5_000}`,
      country: `C${String.fromCharCode(65 + (n % 26))}${n % 30}`,
      userId: `user-${(n * 97) % 200_000}`,
      durationMs: 100 + (n % 9_000),
      referrer: `https://search.example/q?${n % 1_000}`,
    },
  };
}

/**
 * A request body of `count` events whose ids start with the placeholder `@@@@`, which the load
 * generator replaces per request (cheap: one string replace, no JSON work in the client).
 */
export function bodyTemplate(count: number, now = Date.now()): string {
  return JSON.stringify(Array.from({ length: count }, (_, i) => pageView(`@@@@-${i}`, i, now - ((i * 3_600) % HOUR))));
}

/** The serialized size of one event of the template (bytes), for the report. */
export function eventBytes(): number {
  return Buffer.byteLength(JSON.stringify(pageView('bench-0000000-000', 123, Date.now())));
}
