/**
 * The dashboard and GraphiQL in headless Chromium against an embedded Lamina: the page shows the
 * numbers the GraphQL API gives for the same query, follows new events and a new generation live
 * (through the SSE subscription), and nothing the pages load comes from another host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import type { Page } from 'playwright-core';
import { CHROMIUM_SKIP_REASON, launchChromium, requireChromium } from './support/chromium.js';
import { postRecentPageViews, runBatch, startDemoLamina } from './support/dashboard-demo.js';
import { graphql } from './support/http.js';
import { formatNumber } from '../serving-layer/src/dashboard/client/format.js';

type Row = Record<string, string | number | null>;
const MEASURES = ['views', 'visitors', 'p95DurationMs', 'avgDurationMs'];
const HOUR = 3_600_000;

/** The page's answers, read from what it shows: tiles, top-N table, freshness badge. */
async function shown(page: Page) {
  return page.evaluate(() => ({
    totals: Object.fromEntries([...document.querySelectorAll<HTMLElement>('#totals .tile')].map((t) => [t.dataset.measure, { text: t.querySelector('.value')!.textContent, value: (t.querySelector('.value') as HTMLElement).dataset.value }])),
    top: [...document.querySelectorAll('#top tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
    generation: document.getElementById('freshness')!.dataset.generation,
  }));
}

/**
 * Waits until `read()` gives `expected` (each part of the page has its own subscription, so they
 * update one after the other), then asserts it: the failure shows the last difference.
 */
async function eventually<T>(read: () => Promise<T>, expected: T, message: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  let actual = await read();
  while (!isDeepStrictEqual(actual, expected) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    actual = await read();
  }
  assert.deepEqual(actual, expected, message);
}

const topRows = (rows: Row[]) => rows.map((r) => [r.url, ...MEASURES.map((m) => formatNumber(r[m] as number))]);

/** Waits until the views tile shows `views` (the subscriptions push it; nothing reloads the page). */
async function waitForViews(page: Page, views: number) {
  await page.waitForFunction((v) => document.querySelector<HTMLElement>('#totals [data-measure="views"] .value')?.dataset.value === String(v), views, { timeout: 10_000 });
}

async function openSubscriptions(base: string): Promise<number> {
  const metrics = await (await fetch(`${base}/metrics`)).text();
  return Number(/^lamina_graphql_subscriptions (\d+)$/m.exec(metrics)?.[1] ?? NaN);
}

async function apiAnswer(base: string) {
  // The page's default range is the last 24 hours; every event here lies within the last three.
  const from = new Date(Date.now() - 23 * HOUR).toISOString();
  const result = await graphql<{ totals: Row[]; top: Row[] }>(base, `{
    totals: pageviews(from: "${from}", granularity: ALL, groupBy: []) { ${MEASURES.join(' ')} }
    top: pageviews(from: "${from}", granularity: ALL, groupBy: [url], orderBy: [{ field: views, direction: DESC }, { field: url, direction: ASC }], limit: 10) { url ${MEASURES.join(' ')} }
  }`);
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  return result.data!;
}

test('dashboard: the numbers of the API, live after new events and a new generation; GraphiQL offline', { skip: !requireChromium() && CHROMIUM_SKIP_REASON, timeout: 120_000 }, async () => {
  const demo = await startDemoLamina();
  const browser = await launchChromium();
  try {
    const { base } = demo;
    await postRecentPageViews(base, 400, { prefix: 'batch', spreadMs: 2 * HOUR });
    assert.equal(await runBatch(base), 1);
    await postRecentPageViews(base, 60, { prefix: 'realtime', spreadMs: 10 * 60_000 });

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const elsewhere: string[] = [];
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(`${base}/`) && !url.startsWith('blob:') && !url.startsWith('data:')) elsewhere.push(url);
    });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));

    await page.goto(`${base}/`);
    await waitForViews(page, 460);
    const expected = await apiAnswer(base);
    const now = await shown(page);
    for (const measure of MEASURES) {
      const value = expected.totals[0]![measure] as number;
      assert.deepEqual(now.totals[measure], { text: formatNumber(value), value: String(value) }, `the ${measure} tile shows the API's number`);
    }
    await eventually(async () => (await shown(page)).top, topRows(expected.top), 'the top-10 table is the API\'s top 10');
    assert.equal(now.generation, '1', 'the freshness badge names the generation');
    assert.ok(await page.locator('#chart canvas').count() > 0, 'uPlot drew the chart');
    assert.match((await page.locator('#chart-title').textContent()) ?? '', /views per minute/);

    // New events: the page follows through its subscriptions, within a few seconds.
    await postRecentPageViews(base, 37, { prefix: 'live', spreadMs: 60_000 });
    await waitForViews(page, 497);
    await eventually(async () => (await shown(page)).top, topRows((await apiAnswer(base)).top), 'the top-10 table follows');

    // A new generation takes the realtime events over: same numbers, the badge moves on.
    assert.equal(await runBatch(base), 2);
    await page.waitForFunction(() => document.getElementById('freshness')!.dataset.generation === '2', undefined, { timeout: 10_000 });
    assert.equal((await shown(page)).totals.views!.value, '497');
    assert.equal(await openSubscriptions(base), 3, 'series, totals and top-N: three live subscriptions');

    await page.goto(`${base}/graphql`);
    await page.waitForSelector('.graphiql-container', { timeout: 20_000 });
    await page.close();
    assert.deepEqual(problems, [], 'no script errors');
    assert.deepEqual(elsewhere, [], 'the dashboard and GraphiQL load nothing from another host');

    // Leaving the page ended its subscriptions on the server.
    const deadline = Date.now() + 10_000;
    while ((await openSubscriptions(base)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await openSubscriptions(base), 0);
  } finally {
    await browser.close();
    await demo.stop();
  }
});
