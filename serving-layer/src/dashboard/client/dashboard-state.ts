/**
 * What the dashboard shows — view, time range, granularity, measure, top-N dimension — kept in the
 * URL's hash so a dashboard can be bookmarked and shared; invalid or missing parts fall back to
 * defaults that fit the chosen view.
 */
import { canRollUp, type RollUp } from '../../../../shared/src/views/time-buckets.js';
import type { Catalog, CatalogView } from '../catalog.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const RANGES = {
  '15m': { label: 'last 15 minutes', ms: 15 * MINUTE },
  '1h': { label: 'last hour', ms: HOUR },
  '6h': { label: 'last 6 hours', ms: 6 * HOUR },
  '24h': { label: 'last 24 hours', ms: DAY },
  '7d': { label: 'last 7 days', ms: 7 * DAY },
  '30d': { label: 'last 30 days', ms: 30 * DAY },
  all: { label: 'all time', ms: undefined },
  custom: { label: 'custom range', ms: undefined },
} as const;
export type RangeKey = keyof typeof RANGES;

export type ChartGranularity = Exclude<RollUp, 'all'>;
const CHART_GRANULARITIES: ChartGranularity[] = ['minute', 'hour', 'day', 'week', 'month'];

export interface DashboardState {
  view: string;
  range: RangeKey;
  /** Only for the custom range: epoch ms, `to` exclusive. */
  from: number | undefined;
  to: number | undefined;
  granularity: ChartGranularity | 'auto';
  measure: string;
  /** Dimension of the top-N table; '' when the view has none. */
  by: string;
}

export const granularityChoices = (view: CatalogView): ChartGranularity[] => CHART_GRANULARITIES.filter((g) => canRollUp(view.granularity, g));

export function viewOf(catalog: Catalog, state: DashboardState): CatalogView {
  return catalog.views.find((v) => v.name === state.view) ?? catalog.views[0]!;
}

const instant = (text: string | null) => (text && !Number.isNaN(Date.parse(text)) ? Date.parse(text) : undefined);

/** The state a hash asks for, made valid for the catalog. */
export function readState(hash: string, catalog: Catalog): DashboardState {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const view = catalog.views.find((v) => v.name === params.get('view')) ?? catalog.views[0]!;
  const range = (params.get('range') ?? '') in RANGES ? (params.get('range') as RangeKey) : '24h';
  const granularity = params.get('granularity') as ChartGranularity | null;
  const measure = params.get('measure');
  const by = params.get('by');
  return {
    view: view.name,
    range,
    from: range === 'custom' ? instant(params.get('from')) : undefined,
    to: range === 'custom' ? instant(params.get('to')) : undefined,
    granularity: granularity && granularityChoices(view).includes(granularity) ? granularity : 'auto',
    measure: view.measures.some((m) => m.name === measure) ? measure! : view.measures[0]!.name,
    by: by && view.dimensions.includes(by) ? by : (view.dimensions[0] ?? ''),
  };
}

export function writeState(state: DashboardState): string {
  const params = new URLSearchParams({ view: state.view, range: state.range, granularity: state.granularity, measure: state.measure });
  if (state.by) params.set('by', state.by);
  if (state.range === 'custom') {
    if (state.from !== undefined) params.set('from', new Date(state.from).toISOString());
    if (state.to !== undefined) params.set('to', new Date(state.to).toISOString());
  }
  return `#${params}`;
}

/** An event-time range in epoch ms, `to` exclusive; undefined is unbounded. */
export interface TimeRange {
  from: number | undefined;
  to: number | undefined;
}

/** The event-time range to ask for; relative ranges end at no fixed time, so new events keep counting. */
export function timeRange(state: DashboardState, now: number): TimeRange {
  if (state.range === 'custom') return { from: state.from, to: state.to };
  const ms = RANGES[state.range].ms;
  return { from: ms === undefined ? undefined : now - ms, to: undefined };
}

/** The chart's bucket size: the chosen one, or for `auto` one that gives a readable number of points. */
export function chartGranularity(state: DashboardState, view: CatalogView, now: number): ChartGranularity {
  const choices = granularityChoices(view);
  if (state.granularity !== 'auto') return state.granularity;
  const { from, to } = timeRange(state, now);
  const span = from === undefined ? Infinity : (to ?? now) - from;
  const wanted: ChartGranularity = span <= DAY ? 'minute' : span <= 7 * DAY ? 'hour' : 'day';
  return choices.includes(wanted) ? wanted : choices[0]!;
}
