/**
 * Writes docs/dashboard.png: the dashboard of an embedded Lamina with six hours of made-up traffic
 * (a batch generation, then the last quarter hour as realtime events), as headless Chromium shows it.
 *   node --import tsx scripts/dashboard-screenshot.ts
 */
import { launchChromium } from '../test/support/chromium.js';
import { runBatch, startDemoLamina } from '../test/support/dashboard-demo.js';
import { postEvents } from '../test/support/http.js';

const MINUTE = 60_000;
const URLS = [['/', 8], ['/pricing', 5], ['/docs', 4], ['/docs/graphql', 3], ['/blog/lambda-architecture', 2], ['/changelog', 1]] as const;
const COUNTRIES = [['US', 6], ['DE', 4], ['FR', 3], ['BR', 2], ['JP', 2], ['IN', 1]] as const;

// A fixed-seed generator (LCG), so the picture changes only when the page does.
let seed = 42;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
const pick = <T>(weighted: readonly (readonly [T, number])[]): T => {
  let r = random() * weighted.reduce((s, [, w]) => s + w, 0);
  for (const [value, weight] of weighted) if ((r -= weight) < 0) return value;
  return weighted[0]![0];
};

function traffic(from: number, to: number, prefix: string) {
  const events = [];
  for (let minute = from; minute < to; minute += MINUTE) {
    const hour = (minute - from) / (60 * MINUTE);
    const perMinute = Math.round(14 + 9 * Math.sin(hour / 1.3) + 6 * random());
    for (let i = 0; i < perMinute; i++) {
      const url = pick(URLS);
      events.push({
        id: `${prefix}-${events.length}`,
        type: 'page_view',
        ts: new Date(minute + Math.floor(random() * MINUTE)).toISOString(),
        data: { url, country: pick(COUNTRIES), userId: `user-${Math.floor(random() * 1500)}`, durationMs: Math.round((url.startsWith('/docs') ? 2500 : 900) * (0.3 + random() * 1.7)) },
      });
    }
  }
  return events;
}

const now = Math.floor(Date.now() / MINUTE) * MINUTE;
const demo = await startDemoLamina();
const browser = await launchChromium();
try {
  const older = traffic(now - 6 * 60 * MINUTE + 5 * MINUTE, now - 15 * MINUTE, 'batch');
  const recent = traffic(now - 15 * MINUTE, now, 'realtime');
  await postEvents(demo.base, older);
  await runBatch(demo.base);
  await postEvents(demo.base, recent);
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await page.goto(`${demo.base}/#range=6h&granularity=minute`);
  const total = older.length + recent.length;
  await page.waitForFunction((n) => document.querySelector<HTMLElement>('#totals [data-measure="views"] .value')?.dataset.value === String(n), total, { timeout: 10_000 });
  await page.screenshot({ path: 'docs/dashboard.png' });
  console.log(`wrote docs/dashboard.png (${total} page views)`);
} finally {
  await browser.close();
  await demo.stop();
}
