/**
 * A view definition turned into the functions both layers run: which events it takes, their group
 * (time bucket + dimension values) and the measure values they feed. One definition, two execution
 * paths: the batch and speed layers call exactly this code.
 */
import type { LaminaConfig, ViewConfig } from '../config/schema.js';
import type { LaminaEvent } from '../events/event.js';
import type { Measure } from '../measures/measure.js';
import { measureFor } from '../measures/index.js';
import { bucketStart, type RollUp } from './time-buckets.js';

export interface CompiledMeasure {
  name: string;
  measure: Measure;
  /** Data field path the measure reads; undefined for count. */
  field: string | undefined;
}

export interface CompiledView {
  name: string;
  config: ViewConfig;
  sources: ReadonlySet<string>;
  dimensions: readonly string[];
  granularity: RollUp;
  measures: readonly CompiledMeasure[];
  matches(event: LaminaEvent): boolean;
  dimensionValues(event: LaminaEvent): (string | null)[];
  bucketOf(event: LaminaEvent): number;
}

/** Reads `a.b.c` from an event's data. */
export function readPath(data: Record<string, unknown>, path: string): unknown {
  if (!path.includes('.')) return data[path];
  let value: unknown = data;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Dimension values are strings in storage and in GraphQL: one canonical form, null when absent. */
export function dimensionValue(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function compileView(name: string, config: ViewConfig): CompiledView {
  const sources = new Set(Array.isArray(config.source) ? config.source : [config.source]);
  const filter = config.filter;
  const allowed = filter ? new Set<unknown>(filter.in ?? (filter.equals === undefined ? [] : [filter.equals])) : undefined;
  const measures = Object.entries(config.measures).map(([measureName, spec]) => ({
    name: measureName,
    measure: measureFor(spec),
    field: 'field' in spec ? spec.field : undefined,
  }));
  const granularity = config.granularity;
  return {
    name,
    config,
    sources,
    dimensions: config.dimensions,
    granularity,
    measures,
    matches(event) {
      if (!sources.has(event.type)) return false;
      if (filter && allowed) return allowed.has(readPath(event.data, filter.field));
      return true;
    },
    dimensionValues(event) {
      return config.dimensions.map((d) => dimensionValue(readPath(event.data, d)));
    },
    bucketOf(event) {
      return bucketStart(event.ts, granularity);
    },
  };
}

export function compileViews(config: LaminaConfig): CompiledView[] {
  return Object.entries(config.views).map(([name, view]) => compileView(name, view));
}
