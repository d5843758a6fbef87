/**
 * An event type's schema as the schema registry stores it: a canonical, ordered list of fields, and
 * the compatibility rules between two versions (Confluent's terms: BACKWARD = the new schema reads
 * old events, FORWARD = the old schema reads new events, FULL = both, NONE = no check). Whatever the
 * mode, a field never changes type: its lake column is typed, and old files keep their type.
 */
import type { Compatibility, EventTypeConfig, FieldType } from '../config/schema.js';
import { columnOf } from './field-paths.js';

export interface SchemaField {
  path: string;
  type: FieldType;
  optional: boolean;
  default?: string | number | boolean;
}

export interface EventSchema {
  type: string;
  fields: SchemaField[];
}

/** The schema a config declares for an event type, fields in declaration order. */
export function schemaOf(type: string, config: EventTypeConfig): EventSchema {
  return {
    type,
    fields: Object.entries(config.fields).map(([path, f]) => ({ path, type: f.type, optional: f.optional, ...(f.default === undefined ? {} : { default: f.default }) })),
  };
}

/** Canonical text of a schema's fields (order-independent): equal text = the same schema. */
export function schemaFingerprintText(schema: EventSchema): string {
  const fields = [...schema.fields].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return JSON.stringify(fields.map((f) => [f.path, f.type, f.optional, f.default ?? null]));
}

/**
 * Why `next` may not follow `previous` under `mode` (empty when it may). Each problem names the
 * field and the rule, so the start-up error tells the user what to change.
 */
export function compatibilityProblems(previous: EventSchema, next: EventSchema, mode: Compatibility): string[] {
  const problems: string[] = [];
  const before = new Map(previous.fields.map((f) => [f.path, f]));
  const after = new Map(next.fields.map((f) => [f.path, f]));
  const backward = mode === 'backward' || mode === 'full';
  const forward = mode === 'forward' || mode === 'full';
  for (const [path, old] of before) {
    const now = after.get(path);
    if (!now) {
      if (backward) problems.push(`field '${path}' was removed (or renamed): ${mode} compatibility keeps every field, since events and lake files written with it must stay readable; keep it (optional if you no longer send it)`);
      else if (forward && !old.optional) problems.push(`required field '${path}' was removed: ${mode} compatibility needs it in new events, since readers of the old schema require it; make it optional first`);
      continue;
    }
    if (now.type !== old.type) {
      problems.push(`field '${path}' changes type from ${old.type} to ${now.type}: no compatibility mode allows that, since its lake column (${columnOf(path)}) is typed; add a new field instead`);
      continue;
    }
    if (old.optional && !now.optional && backward) problems.push(`field '${path}' becomes required: ${mode} compatibility must read old events that lack it; keep it optional (with a default)`);
    if (!old.optional && now.optional && forward) problems.push(`field '${path}' becomes optional: ${mode} compatibility needs it in new events for readers of the old schema; keep it required`);
  }
  for (const [path, field] of after) {
    if (before.has(path)) continue;
    if (backward && !field.optional) problems.push(`new field '${path}' is required: ${mode} compatibility must read old events that lack it; make it optional with a default`);
  }
  return problems;
}
