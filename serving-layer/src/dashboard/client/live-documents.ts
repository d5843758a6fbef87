/**
 * The three live queries behind the dashboard, as GraphQL subscription documents: the chart's
 * series (one row per bucket), the totals of the range, and the top-N rows by a dimension. Each
 * aliases its field `answer`, so the page reads every view's answer alike.
 */
import type { CatalogView } from '../catalog.js';
import type { ChartGranularity, TimeRange } from './dashboard-state.js';

export interface LiveRequest {
  query: string;
  variables: Record<string, unknown>;
}

export const TOP_N = 10;
const FRESHNESS = 'freshness { generation batchWatermarkTime realtimeLagRecords realtimeLastEventTime realtimeCaughtUp }';

function request(view: CatalogView, range: TimeRange, args: string, select: string): LiveRequest {
  const variables: Record<string, unknown> = {};
  if (range.from !== undefined) variables.from = new Date(range.from).toISOString();
  if (range.to !== undefined) variables.to = new Date(range.to).toISOString();
  const query = `subscription ($from: DateTime, $to: DateTime) { answer: ${view.name}(from: $from, to: $to, ${args}) { rows { ${select} } ${FRESHNESS} } }`;
  return { query, variables };
}

// A view without dimensions has no groupBy argument: its one row per bucket is already the total.
const total = (view: CatalogView) => (view.dimensions.length > 0 ? ', groupBy: []' : '');
const measures = (view: CatalogView) => view.measures.map((m) => m.name).join(' ');

export function seriesRequest(view: CatalogView, range: TimeRange, granularity: ChartGranularity, measure: string): LiveRequest {
  return request(view, range, `granularity: ${granularity.toUpperCase()}${total(view)}`, `bucket ${measure}`);
}

export function totalsRequest(view: CatalogView, range: TimeRange): LiveRequest {
  return request(view, range, `granularity: ALL${total(view)}`, measures(view));
}

/** Ties are ordered by the dimension's value, so the table does not reshuffle between answers. */
export function topRequest(view: CatalogView, range: TimeRange, by: string, measure: string): LiveRequest {
  return request(view, range, `granularity: ALL, groupBy: [${by}], orderBy: [{ field: ${measure}, direction: DESC }, { field: ${by}, direction: ASC }], limit: ${TOP_N}`, `${by} ${measures(view)}`);
}
