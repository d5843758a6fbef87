/**
 * The parts of the page that show answers: the totals of the range (one tile per measure), the top-N
 * table and the freshness badge. Each shown number carries its exact value in `data-value`.
 */
import type { CatalogView } from '../catalog.js';
import { emptyValue } from './empty-value.js';
import { formatNumber, formatUtc } from './format.js';

export type Row = Record<string, string | number | null>;

export interface Freshness {
  generation: number;
  batchWatermarkTime: string | null;
  realtimeLagRecords: number;
  realtimeLastEventTime: string | null;
  realtimeCaughtUp: boolean;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function numberCell(tag: 'td' | 'span', value: unknown): HTMLElement {
  const cell = element(tag, 'number', formatNumber(value as number | null));
  cell.dataset.value = value === null || value === undefined ? '' : String(value);
  return cell;
}

export function renderTotals(host: HTMLElement, view: CatalogView, row: Row | undefined): void {
  host.replaceChildren(
    ...view.measures.map((m) => {
      const tile = element('div', 'tile');
      tile.dataset.measure = m.name;
      const value = numberCell('span', row ? row[m.name] : emptyValue(m.kind));
      value.classList.add('value');
      tile.append(element('span', 'label', m.name), value, element('span', 'kind', m.field ? `${m.kind} of ${m.field}` : m.kind));
      return tile;
    }),
  );
}

export function renderTop(table: HTMLTableElement, view: CatalogView, by: string, measure: string, rows: Row[]): void {
  const head = element('tr', '');
  head.append(element('th', '', by), ...view.measures.map((m) => element('th', m.name === measure ? 'number ordered' : 'number', m.name)));
  table.tHead!.replaceChildren(head);
  table.tBodies[0]!.replaceChildren(
    ...rows.map((row) => {
      const tr = element('tr', '');
      tr.append(element('td', 'dimension', row[by] === null ? '(none)' : String(row[by])), ...view.measures.map((m) => numberCell('td', row[m.name])));
      return tr;
    }),
  );
}

export function renderFreshness(badge: HTMLElement, freshness: Freshness, now: number): void {
  const parts = [`generation ${freshness.generation}`];
  parts.push(freshness.batchWatermarkTime ? `batch to ${formatUtc(Date.parse(freshness.batchWatermarkTime))}` : 'no batch yet');
  parts.push(`lag ${formatNumber(freshness.realtimeLagRecords)} records`);
  parts.push(`updated ${formatUtc(now, true).slice(11)}`);
  badge.textContent = parts.join(' · ');
  badge.dataset.generation = String(freshness.generation);
  badge.className = freshness.realtimeCaughtUp && freshness.realtimeLagRecords === 0 ? 'fresh' : 'lagging';
}
