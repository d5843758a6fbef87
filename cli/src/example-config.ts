/**
 * The example a newcomer recognises: a web clickstream. Copy it to ./lamina.config.ts to change it.
 */
import { defineConfig } from '@lamina/shared';

export default defineConfig({
  topic: 'events',
  partitions: 4,
  eventTypes: {
    page_view: {
      fields: {
        url: { type: 'string' },
        country: { type: 'string' },
        userId: { type: 'string' },
        durationMs: { type: 'number' },
        referrer: { type: 'string', optional: true },
      },
      keyField: 'userId',
    },
    purchase: {
      fields: {
        orderId: { type: 'string' },
        userId: { type: 'string' },
        country: { type: 'string' },
        revenue: { type: 'number' },
        items: { type: 'integer' },
      },
      keyField: 'userId',
    },
  },
  views: {
    pageviews: {
      description: 'Page views per URL and country',
      source: 'page_view',
      dimensions: ['url', 'country'],
      granularity: 'minute',
      measures: {
        views: { kind: 'count' },
        visitors: { kind: 'distinct', field: 'userId' },
        p95DurationMs: { kind: 'quantile', field: 'durationMs', q: 0.95 },
        avgDurationMs: { kind: 'avg', field: 'durationMs' },
      },
    },
    revenue: {
      description: 'Revenue per country',
      source: 'purchase',
      dimensions: ['country'],
      granularity: 'hour',
      measures: {
        orders: { kind: 'count' },
        revenue: { kind: 'sum', field: 'revenue' },
        items: { kind: 'sum', field: 'items' },
        buyers: { kind: 'distinct', field: 'userId' },
        maxOrder: { kind: 'max', field: 'revenue' },
        minOrder: { kind: 'min', field: 'revenue' },
      },
    },
  },
});
