/**
 * The dashboard: controls built from the catalog of views, and three live GraphQL subscriptions
 * (series, totals, top-N) that redraw the chart, the tiles, the table and the freshness badge on
 * every answer the server pushes.
 */
import './dashboard.css';
import type { Catalog } from '../catalog.js';
import { renderFreshness, renderTop, renderTotals, type Freshness, type Row } from './answer-views.js';
import { readForm, showState } from './controls.js';
import { RANGES, chartGranularity, readState, timeRange, viewOf, writeState, type DashboardState } from './dashboard-state.js';
import { seriesRequest, topRequest, totalsRequest, TOP_N } from './live-documents.js';
import { liveQuery, type GraphQLProblem, type LiveHandlers } from './live-query.js';
import { SeriesChart } from './series-chart.js';
import { seriesData } from './series-data.js';

type Answer = { answer: { rows: Row[]; freshness: Freshness } };

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

async function main(): Promise<void> {
  const catalog = (await (await fetch('/dashboard/catalog.json')).json()) as Catalog;
  const form = byId<HTMLFormElement>('controls');
  const badge = byId<HTMLOutputElement>('freshness');
  const problem = byId<HTMLDivElement>('problem');
  const chart = new SeriesChart(byId('chart'));
  let state: DashboardState = readState(window.location.hash, catalog);
  let stops: (() => void)[] = [];
  let subscribedAt = 0;

  // Each live query reports its own problem; the banner shows those not yet resolved by an answer.
  const problems = new Map<string, GraphQLProblem[]>();
  const showProblems = () => {
    const all = [...problems.values()].flat();
    problem.hidden = all.length === 0;
    problem.textContent = [...new Set(all.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`))].join('\n');
    if (all.length === 0) return;
    badge.className = 'problem';
    if (!badge.dataset.generation) badge.textContent = 'no answer';
  };
  const handlers = (name: string, onData: (answer: Answer['answer']) => void): LiveHandlers<Answer> => ({
    data: ({ answer }) => {
      problems.delete(name);
      showProblems();
      onData(answer);
      renderFreshness(badge, answer.freshness, Date.now());
    },
    problem: (errors) => {
      problems.set(name, errors);
      showProblems();
    },
    connection: (open) => {
      if (!open) badge.className = 'offline';
    },
  });

  const subscribe = () => {
    for (const stop of stops) stop();
    problems.clear();
    showProblems();
    const view = viewOf(catalog, state);
    const now = Date.now();
    subscribedAt = now;
    const range = timeRange(state, now);
    const granularity = chartGranularity(state, view, now);
    const kind = view.measures.find((m) => m.name === state.measure)!.kind;
    byId('chart-title').textContent = `${state.measure} per ${granularity} (${RANGES[state.range].label})`;
    byId('top-card').hidden = view.dimensions.length === 0;
    byId('top-n').textContent = String(TOP_N);
    byId('top-measure').textContent = state.measure;
    stops = [
      liveQuery(seriesRequest(view, range, granularity, state.measure), handlers('series', (answer) => {
        const rows = answer.rows.map((r) => ({ bucket: r.bucket as string, value: r[state.measure] as number | null }));
        chart.show(state.measure, seriesData(rows, kind, granularity, range, Date.now()));
      })),
      liveQuery(totalsRequest(view, range), handlers('totals', (answer) => renderTotals(byId('totals'), view, answer.rows[0]))),
    ];
    if (view.dimensions.length > 0) {
      stops.push(liveQuery(topRequest(view, range, state.by, state.measure), handlers('top', (answer) => renderTop(byId('top'), view, state.by, state.measure, answer.rows))));
    }
  };

  const apply = (next: DashboardState) => {
    state = next;
    showState(form, catalog, state);
    window.history.replaceState(null, '', writeState(state));
    subscribe();
  };

  // Not on the form: the top-N dimension is a control of the form that sits in the table's card.
  document.addEventListener('change', (event) => {
    if ((event.target as HTMLSelectElement | HTMLInputElement).form === form) apply(readState(`#${new URLSearchParams(readForm(form))}`, catalog));
  });
  window.addEventListener('hashchange', () => apply(readState(window.location.hash, catalog)));
  // A relative range ("last hour") is fixed when subscribed: move it along every minute.
  setInterval(() => {
    if (RANGES[state.range].ms !== undefined && Date.now() - subscribedAt > 60_000) subscribe();
  }, 10_000);
  apply(state);
}

main().catch((error: unknown) => {
  const problem = byId<HTMLDivElement>('problem');
  problem.hidden = false;
  problem.textContent = `The dashboard could not start: ${(error as Error).message}`;
});
