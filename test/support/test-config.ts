/** A config for tests: every measure kind, a filtered view, a float sum, few partitions. */
import { validateConfig, type LaminaConfig } from '@lamina/shared';

export function testConfig(overrides: Record<string, unknown> = {}): LaminaConfig {
  return validateConfig({
    topic: 'events',
    partitions: 3,
    eventTypes: {
      page_view: {
        fields: { url: { type: 'string' }, country: { type: 'string' }, userId: { type: 'string' }, durationMs: { type: 'integer' } },
        keyField: 'userId',
      },
      purchase: {
        fields: { country: { type: 'string' }, userId: { type: 'string' }, revenue: { type: 'number' }, coupon: { type: 'string', optional: true } },
      },
    },
    views: {
      pageviews: {
        source: 'page_view',
        dimensions: ['url', 'country'],
        granularity: 'minute',
        measures: {
          views: { kind: 'count' },
          visitors: { kind: 'distinct', field: 'userId' },
          p95DurationMs: { kind: 'quantile', field: 'durationMs', q: 0.95 },
          avgDurationMs: { kind: 'avg', field: 'durationMs' },
          maxDurationMs: { kind: 'max', field: 'durationMs' },
        },
      },
      revenue: {
        source: 'purchase',
        dimensions: ['country', 'coupon'],
        granularity: 'hour',
        measures: { orders: { kind: 'count' }, revenue: { kind: 'sum', field: 'revenue' }, minOrder: { kind: 'min', field: 'revenue' } },
      },
      germanViews: {
        source: ['page_view', 'purchase'],
        filter: { field: 'country', equals: 'DE' },
        dimensions: [],
        granularity: 'minute',
        measures: { events: { kind: 'count' }, people: { kind: 'distinct', field: 'userId' } },
      },
    },
    archiver: { flushRecords: 1_000_000, flushIntervalMs: 3_600_000 },
    speed: { generationPollMs: 60_000 },
    ...overrides,
  });
}

/**
 * Later deployments of testConfig, as the invariant test applies them: v2 adds an optional field with a
 * default (`plan`), a view over it, and a measure to `revenue`; v3 adds `plan` as a dimension of `pageviews`.
 */
export function evolvedTestConfigs(overrides: Record<string, unknown> = {}): LaminaConfig[] {
  const v1 = testConfig(overrides);
  const pageView = v1.eventTypes.page_view!;
  const v2 = validateConfig({
    ...v1,
    eventTypes: { ...v1.eventTypes, page_view: { ...pageView, fields: { ...pageView.fields, plan: { type: 'string', optional: true, default: 'free' } } } },
    views: {
      ...v1.views,
      revenue: { ...v1.views.revenue!, measures: { ...v1.views.revenue!.measures, maxOrder: { kind: 'max', field: 'revenue' } } },
      byPlan: { source: 'page_view', dimensions: ['plan'], granularity: 'minute', measures: { n: { kind: 'count' }, users: { kind: 'distinct', field: 'userId' } } },
    },
  });
  const v3 = validateConfig({ ...v2, views: { ...v2.views, pageviews: { ...v2.views.pageviews!, dimensions: ['url', 'country', 'plan'] } } });
  return [v1, v2, v3];
}
