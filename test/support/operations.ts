/** Random operations for the invariant property test. */
import fc from 'fast-check';
import type { DimensionFilter } from '@lamina/shared';

export type Operation =
  | { kind: 'ingest'; events: unknown[] }
  /**
   * Posts copies of accepted events again: exact retries (shift 0), the same id later in the same
   * dedup window or in another one, some with another url (the first copy's values must count).
   */
  | { kind: 'resend'; copies: { index: number; shiftMs: number; url: string | undefined }[] }
  | { kind: 'foreign'; key: string | null; value: string }
  | { kind: 'flush' }
  | { kind: 'catchUp' }
  | { kind: 'compact' }
  | { kind: 'crashArchiver' }
  | { kind: 'batch' }
  | { kind: 'batchFull' }
  | { kind: 'evolve' }
  | { kind: 'restartSpeed' }
  | {
      kind: 'query';
      view: string;
      granularity: string;
      from?: number;
      to?: number;
      groupBy?: string[];
      filters: Record<string, DimensionFilter>;
      timeZone?: string;
      measures?: string[];
    };

const BASE = Date.UTC(2026, 10, 20, 0, 0, 0);
const SPAN = 3 * 24 * 3600_000;
const countries = ['DE', 'FR', 'US', 'BR'];
const urls = ['/', '/pricing', '/docs', '/blog/lambda'];

const eventTime = fc.integer({ min: 0, max: SPAN }).map((t) => new Date(BASE + t).toISOString());
let counter = 0;
const id = fc.constant(null).map(() => `ev-${++counter}`);

const pageView = fc.record({
  id, type: fc.constant('page_view'), ts: eventTime,
  data: fc.record(
    { url: fc.constantFrom(...urls), country: fc.constantFrom(...countries), userId: fc.integer({ min: 1, max: 40 }).map((u) => `u${u}`), durationMs: fc.integer({ min: 0, max: 60_000 }), plan: fc.constantFrom('free', 'pro') },
    { requiredKeys: ['url', 'country', 'userId', 'durationMs'] },
  ),
});
const purchase = fc.record({
  id, type: fc.constant('purchase'), ts: eventTime,
  data: fc.record(
    { country: fc.constantFrom(...countries), userId: fc.integer({ min: 1, max: 40 }).map((u) => `u${u}`), revenue: fc.double({ min: 0.01, max: 5000, noNaN: true }), coupon: fc.constantFrom('SPRING', 'VIP') },
    { requiredKeys: ['country', 'userId', 'revenue'] },
  ),
});
const invalid = fc.oneof(
  fc.record({ id, type: fc.constant('page_view'), ts: eventTime, data: fc.record({ url: fc.constant('/'), country: fc.constant('DE') }) }),
  fc.record({ id, type: fc.constant('unknown_type'), ts: eventTime, data: fc.constant({}) }),
  fc.record({ id, type: fc.constant('purchase'), ts: fc.constant('yesterday'), data: fc.constant({ country: 'DE', userId: 'u1', revenue: 1 }) }),
  fc.constant('not an object'),
);

const event = fc.oneof({ arbitrary: pageView, weight: 6 }, { arbitrary: purchase, weight: 3 }, { arbitrary: invalid, weight: 1 });

// Measures every config version of the test has (so a query is valid whatever was deployed).
const views: Record<string, { dims: string[]; finest: string; measures: string[] }> = {
  pageviews: { dims: ['url', 'country'], finest: 'minute', measures: ['views', 'visitors', 'p95DurationMs', 'avgDurationMs', 'maxDurationMs'] },
  revenue: { dims: ['country', 'coupon'], finest: 'hour', measures: ['orders', 'revenue', 'minOrder'] },
  germanViews: { dims: [], finest: 'minute', measures: ['events', 'people'] },
  byPlan: { dims: ['plan'], finest: 'minute', measures: ['n', 'users'] },
};
const values = [...countries, ...urls, 'SPRING', 'free', 'pro', null];
const filter: fc.Arbitrary<DimensionFilter> = fc.oneof(
  fc.record({ in: fc.subarray(values) }),
  fc.record({ not: fc.subarray(values) }),
  fc.record({ prefix: fc.constantFrom('/', '/p', '/blog', 'D', 'F', 'U', 'p') }),
);
const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** Range bounds aligned to hours or to days, so that queries read the hour and day roll-ups too. */
const bound = (round: (x: number) => number) =>
  fc.oneof(fc.integer({ min: 0, max: SPAN + HOUR }).map((t) => BASE + round(t / HOUR) * HOUR), fc.integer({ min: 0, max: 4 }).map((d) => BASE + d * DAY));

const query = fc.constantFrom(...Object.keys(views)).chain((view) => {
  const { dims, finest } = views[view]!;
  const granularities = ['minute', 'hour', 'day', 'week', 'month', 'all'].slice(finest === 'hour' ? 1 : 0);
  return fc.record({
    kind: fc.constant('query' as const),
    view: fc.constant(view),
    granularity: fc.constantFrom(...granularities),
    from: fc.option(bound(Math.floor), { nil: undefined }),
    to: fc.option(bound(Math.ceil), { nil: undefined }),
    groupBy: fc.option(fc.subarray(dims), { nil: undefined }),
    filters: dims.length === 0 ? fc.constant({}) : fc.dictionary(fc.constantFrom(...dims), filter, { maxKeys: 2 }),
    timeZone: fc.option(fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'), { nil: undefined }),
    measures: fc.option(fc.subarray(views[view]!.measures), { nil: undefined }),
  }).filter((q) => q.from === undefined || q.to === undefined || q.from < q.to);
});

export function operationArbitrary(): fc.Arbitrary<Operation> {
  return fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('ingest' as const), events: fc.array(event, { minLength: 1, maxLength: 25 }) }), weight: 8 },
    {
      arbitrary: fc.record({
        kind: fc.constant('resend' as const),
        copies: fc.array(fc.record({ index: fc.nat(), shiftMs: fc.constantFrom(0, 0, 0, 60_000, 3 * HOUR, DAY, -DAY), url: fc.option(fc.constantFrom(...urls), { nil: undefined }) }), { minLength: 1, maxLength: 8 }),
      }),
      weight: 3,
    },
    { arbitrary: fc.record({ kind: fc.constant('foreign' as const), key: fc.option(fc.string({ maxLength: 8 }), { nil: null }), value: fc.constantFrom('{"broken json', '{"id":"x","type":"page_view"}', 'plain text') }), weight: 1 },
    { arbitrary: fc.constant({ kind: 'flush' as const }), weight: 2 },
    { arbitrary: fc.constant({ kind: 'catchUp' as const }), weight: 2 },
    { arbitrary: fc.constant({ kind: 'crashArchiver' as const }), weight: 1 },
    { arbitrary: fc.constant({ kind: 'compact' as const }), weight: 1 },
    { arbitrary: fc.constant({ kind: 'batch' as const }), weight: 2 },
    { arbitrary: fc.constant({ kind: 'batchFull' as const }), weight: 1 },
    { arbitrary: fc.constant({ kind: 'evolve' as const }), weight: 1 },
    { arbitrary: fc.constant({ kind: 'restartSpeed' as const }), weight: 1 },
    { arbitrary: query, weight: 5 },
  );
}
