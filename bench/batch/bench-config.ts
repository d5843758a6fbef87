/** The benchmark's config: the clickstream example's page_view type and its `pageviews` view only. */
import { validateConfig } from '@lamina/shared';
import example from '../../cli/src/example-config.js';

export function benchConfig(batch: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}) {
  return validateConfig({
    ...example,
    ...overrides,
    eventTypes: { page_view: example.eventTypes.page_view },
    views: { pageviews: example.views.pageviews },
    batch: { ...(example.batch ?? {}), ...batch },
  });
}
