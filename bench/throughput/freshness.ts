/**
 * Freshness: how long after its ingest answer an event shows in a GraphQL answer, while a steady load
 * of other events arrives. One probe at a time: post one page view with a url of its own, then ask for
 * that url's views every 10 ms until the answer counts it.
 */
import { bodyTemplate, pageView } from './event-bodies.js';

export interface Freshness {
  /** Events per second the load achieved (the target, unless the server could not keep up). */
  loadPerSec: number;
  probes: number[];
}

/** Posts `perSecond` events per second in 20 requests a second until stopped; counts acknowledged events. */
function steadyLoad(base: string, perSecond: number, run: string): { stop(): Promise<number> } {
  const perRequest = Math.max(1, Math.round(perSecond / 20));
  const template = bodyTemplate(perRequest);
  let running = true;
  let acknowledged = 0;
  let request = 0;
  const started = performance.now();
  const loop = (async () => {
    while (running) {
      const due = started + (request * 1000) / 20;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const body = template.replaceAll('@@@@', `${run}-load-${request++}`);
      const response = await fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (response.ok) acknowledged += perRequest;
      await response.arrayBuffer();
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return acknowledged / ((performance.now() - started) / 1000);
    },
  };
}

async function probeOnce(base: string, url: string, id: string): Promise<number> {
  const event = pageView(id, 1, Date.now());
  (event.data as { url: string }).url = url;
  const posted = await fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([event]) });
  if (!posted.ok) throw new Error(`freshness probe: ingest answered ${posted.status}: ${await posted.text()}`);
  await posted.arrayBuffer();
  const acknowledged = performance.now();
  const query = JSON.stringify({ query: `{ pageviews(groupBy: [url], filter: { url: { eq: ${JSON.stringify(url)} } }) { views } }` });
  for (;;) {
    const response = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: query });
    const answer = (await response.json()) as { data?: { pageviews: { views: number }[] }; errors?: unknown[] };
    if (answer.errors) throw new Error(`freshness probe: ${JSON.stringify(answer.errors)}`);
    if ((answer.data?.pageviews[0]?.views ?? 0) >= 1) return performance.now() - acknowledged;
    if (performance.now() - acknowledged > 30_000) throw new Error(`freshness probe: ${url} not visible 30 s after its ingest answer`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `probes` probes, one after another, under a steady load of `perSecond` events a second. */
export async function measureFreshness(base: string, options: { perSecond: number; probes: number; run: string }): Promise<Freshness> {
  const load = steadyLoad(base, options.perSecond, options.run);
  const probes: number[] = [];
  let loadPerSec = 0;
  try {
    await new Promise((r) => setTimeout(r, 1000)); // the load settles first
    for (let k = 0; k < options.probes; k++) {
      probes.push(await probeOnce(base, `/fresh/${options.run}/${k}`, `${options.run}-probe-${k}`));
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    loadPerSec = await load.stop();
  }
  return { loadPerSec, probes };
}
