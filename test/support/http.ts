/** Small HTTP helpers for tests that talk to Lamina as a user would. */
export async function postEvents(base: string, events: unknown[]): Promise<{ status: number; body: { accepted: number; rejected: { index: number; reason: string }[] } }> {
  const response = await fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) });
  return { status: response.status, body: (await response.json()) as never };
}

export async function graphql<T = Record<string, unknown>>(base: string, query: string, variables?: Record<string, unknown>): Promise<{ data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[]; extensions?: Record<string, unknown> }> {
  const response = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as never;
}

export function pageViews(count: number, options: { prefix: string; from: number; spreadMs: number; users?: number }): unknown[] {
  const countries = ['DE', 'FR', 'US', 'BR', 'JP'];
  const urls = ['/', '/pricing', '/docs', '/blog'];
  return Array.from({ length: count }, (_, i) => ({
    id: `${options.prefix}-${i}`,
    type: 'page_view',
    ts: new Date(options.from + ((i * 7919) % options.spreadMs)).toISOString(),
    data: { url: urls[i % urls.length], country: countries[i % countries.length], userId: `user-${i % (options.users ?? 300)}`, durationMs: 100 + ((i * 37) % 5000) },
  }));
}
