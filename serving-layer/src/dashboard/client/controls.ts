/** The query form: its options follow the chosen view, and it reads back into a DashboardState. */
import type { Catalog } from '../catalog.js';
import { RANGES, granularityChoices, viewOf, type DashboardState, type RangeKey } from './dashboard-state.js';

function setOptions(select: HTMLSelectElement, options: [value: string, label: string][], selected: string): void {
  select.replaceChildren(...options.map(([value, label]) => new Option(label, value, value === selected, value === selected)));
}

const field = <T extends HTMLElement>(form: HTMLFormElement, name: string) => form.elements.namedItem(name) as T;
// datetime-local has no zone: the page reads and writes it as UTC, like every time it shows.
const toInput = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString().slice(0, 16));
const fromInput = (text: string) => (text ? Date.parse(`${text}:00Z`) : undefined);

export function showState(form: HTMLFormElement, catalog: Catalog, state: DashboardState): void {
  const view = viewOf(catalog, state);
  setOptions(field(form, 'view'), catalog.views.map((v) => [v.name, v.name]), view.name);
  setOptions(field(form, 'range'), Object.entries(RANGES).map(([key, r]) => [key, r.label]), state.range);
  setOptions(field(form, 'granularity'), [['auto', 'auto'], ...granularityChoices(view).map((g): [string, string] => [g, g])], state.granularity);
  setOptions(field(form, 'measure'), view.measures.map((m) => [m.name, m.name]), state.measure);
  setOptions(field(form, 'by'), view.dimensions.map((d) => [d, d]), state.by);
  field<HTMLInputElement>(form, 'from').value = toInput(state.from);
  field<HTMLInputElement>(form, 'to').value = toInput(state.to);
  form.classList.toggle('custom-range', state.range === 'custom');
}

/** The form's values as state; the caller makes them valid for the (maybe newly chosen) view. */
export function readForm(form: HTMLFormElement): Record<string, string> {
  const value = (name: string) => field<HTMLInputElement | HTMLSelectElement>(form, name).value;
  const params: Record<string, string> = { view: value('view'), range: value('range') as RangeKey, granularity: value('granularity'), measure: value('measure'), by: value('by') };
  const from = fromInput(value('from'));
  const to = fromInput(value('to'));
  if (from !== undefined) params.from = new Date(from).toISOString();
  if (to !== undefined) params.to = new Date(to).toISOString();
  return params;
}
