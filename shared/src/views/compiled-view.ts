/**
 * A view definition turned into what every engine runs: which events it takes, their group (time
 * bucket + dimension values) and the measure values they feed. The speed layer folds events with
 * exactly these functions; the batch layer compiles the same definition to SQL.
 */
import { dedupWindowOf, type DedupWindow } from '../events/duplicates.js';
import { createHash } from 'node:crypto';
import type { FieldType, LaminaConfig, ViewConfig } from '../config/schema.js';
import type { LaminaEvent } from '../events/event.js';
import { readPath } from '../events/field-paths.js';
import type { Measure } from '../measures/measure.js';
import { measureFor } from '../measures/index.js';
import { MEASURE_FORMAT } from '../measures/index.js';
import { bucketStart, type RollUp } from './time-buckets.js';

export { readPath } from '../events/field-paths.js';

export interface ViewField {
  path: string;
  type: FieldType;
  /** The field's default, where the config declares one (old lake files read it for a missing column). */
  default: string | number | boolean | undefined;
  description?: string;
}

export interface CompiledMeasure {
  name: string;
  measure: Measure;
  /** The data field the measure reads; undefined for count. */
  field: ViewField | undefined;
}

export interface CompiledView {
  name: string;
  config: ViewConfig;
  sources: readonly string[];
  dimensions: readonly string[];
  dimensionFields: readonly ViewField[];
  granularity: RollUp;
  measures: readonly CompiledMeasure[];
  filter: { field: ViewField; values: readonly (string | number | boolean)[] } | undefined;
  /**
   * Identifies the definition: sources, filter, dimensions, granularity, measures, the types and
   * defaults of the fields they read, and the measure state formats. A new fingerprint means the
   * batch part must be computed again from the lake (its view table is a new one).
   */
  fingerprint: string;
  /** The deduplication window its events are counted under (events/duplicates.ts); null: every event counts. */
  deduplication: DedupWindow | null;
  matches(event: LaminaEvent): boolean;
  dimensionValues(event: LaminaEvent): (string | null)[];
  bucketOf(event: LaminaEvent): number;
}

/** Dimension values are strings in storage and in GraphQL: one canonical form, null when absent. */
export function dimensionValue(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : String(value);
}

function viewField(config: LaminaConfig, sources: readonly string[], path: string): ViewField {
  // validateConfig made sure the field exists with one type in every source; its default comes from the first.
  const field = config.eventTypes[sources[0]!]?.fields[path];
  return { path, type: field?.type ?? 'string', default: field?.default, ...(field?.description ? { description: field.description } : {}) };
}

export function compileView(name: string, view: ViewConfig, config: LaminaConfig): CompiledView {
  const sources = (Array.isArray(view.source) ? [...view.source] : [view.source]).sort();
  const sourceSet = new Set(sources);
  const filter = view.filter ? { field: viewField(config, sources, view.filter.field), values: view.filter.in ?? (view.filter.equals === undefined ? [] : [view.filter.equals]) } : undefined;
  const allowed = filter ? new Set<unknown>(filter.values) : undefined;
  const measures = Object.entries(view.measures).map(([measureName, spec]) => ({
    name: measureName,
    measure: measureFor(spec),
    field: 'field' in spec ? viewField(config, sources, spec.field) : undefined,
  }));
  const dimensionFields = view.dimensions.map((d) => viewField(config, sources, d));
  const granularity = view.granularity;
  const deduplication = dedupWindowOf(config);
  const definition = {
    sources,
    filter: filter && { field: [filter.field.path, filter.field.type, filter.field.default ?? null], values: filter.values },
    dimensions: dimensionFields.map((d) => [d.path, d.type, d.default ?? null]),
    granularity,
    // Descriptions are documentation, not definition: changing one recomputes nothing.
    measures: Object.entries(view.measures).map(([m, { description: _, ...spec }], i) => [m, spec, measures[i]!.field?.type ?? null, measures[i]!.field?.default ?? null]),
    formats: MEASURE_FORMAT,
    // Which events count is part of what the view holds: turning deduplication on, off or to
    // another window recomputes it.
    ...(deduplication ? { deduplication } : {}),
  };
  const fingerprint = createHash('sha256').update(JSON.stringify(definition)).digest('hex').slice(0, 16);
  return {
    name,
    config: view,
    sources,
    dimensions: view.dimensions,
    dimensionFields,
    granularity,
    measures,
    filter,
    deduplication,
    fingerprint,
    matches(event) {
      if (!sourceSet.has(event.type)) return false;
      if (filter && allowed) return allowed.has(readPath(event.data, filter.field.path));
      return true;
    },
    dimensionValues(event) {
      return view.dimensions.map((d) => dimensionValue(readPath(event.data, d)));
    },
    bucketOf(event) {
      return bucketStart(event.ts, granularity);
    },
  };
}

/** The coarser grains the batch precomputes for a view stored at `granularity`, so coarse queries read few rows. */
export type RollUpGrain = 'hour' | 'day';

export function rollUpGrains(view: CompiledView): RollUpGrain[] {
  return view.granularity === 'minute' ? ['hour', 'day'] : view.granularity === 'hour' ? ['day'] : [];
}

/**
 * The same view stored at a coarser grain: identical measures and dimensions, buckets of `grain`.
 * Its states are exactly the merge of the finer rows it covers (measures are monoids), so any query
 * whose granularity and range align to `grain` may read it instead.
 */
export function rollUpOf(view: CompiledView, grain: RollUpGrain): CompiledView {
  return {
    ...view,
    granularity: grain,
    fingerprint: `${view.fingerprint}-${grain}`,
    bucketOf: (event) => bucketStart(event.ts, grain),
  };
}

export function compileViews(config: LaminaConfig): CompiledView[] {
  return Object.entries(config.views).map(([name, view]) => compileView(name, view, config));
}
