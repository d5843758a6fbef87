/**
 * Validates events against the declared event types. Used at HTTP ingest (reject with a reason) and
 * by the archiver and speed layer for messages other producers wrote to the topic (quarantine).
 */
import { z } from 'zod';
import type { EventTypeConfig, FieldType, LaminaConfig } from '../config/schema.js';
import type { LaminaEvent } from './event.js';

export type ValidationResult = { ok: true; event: LaminaEvent } | { ok: false; reason: string };

const fieldValidators: Record<FieldType, z.ZodType> = {
  string: z.string(),
  number: z.number().finite(),
  integer: z.number().int().refine(Number.isSafeInteger, 'must be a safe integer'),
  boolean: z.boolean(),
};

const timestamp = z.union(
  [z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)), z.number().int().nonnegative()],
  { error: 'must be an ISO-8601 date-time with a zone (e.g. "2026-11-20T10:00:00Z") or epoch milliseconds' },
);

const envelope = z.object({
  id: z.string().min(1).max(256),
  type: z.string().min(1),
  ts: timestamp,
  key: z.string().min(1).max(1024).optional(),
  data: z.record(z.string(), z.unknown()),
});

function dataSchema(type: EventTypeConfig): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, field] of Object.entries(type.fields)) {
    const base = fieldValidators[field.type];
    shape[name] = field.optional ? base.nullish() : base;
  }
  // Unknown fields are kept: producers may send more than a view needs today.
  return z.looseObject(shape);
}

function describe(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(event)'}: ${i.message}`).join('; ');
}

export class EventValidator {
  private readonly dataSchemas = new Map<string, z.ZodType>();

  constructor(private readonly config: LaminaConfig) {
    for (const [name, type] of Object.entries(config.eventTypes)) this.dataSchemas.set(name, dataSchema(type));
  }

  validate(input: unknown): ValidationResult {
    const env = envelope.safeParse(input);
    if (!env.success) return { ok: false, reason: describe(env.error) };
    const schema = this.dataSchemas.get(env.data.type);
    if (!schema) {
      return { ok: false, reason: `type: unknown event type '${env.data.type}' (declared: ${[...this.dataSchemas.keys()].join(', ')})` };
    }
    const data = schema.safeParse(env.data.data);
    if (!data.success) return { ok: false, reason: describe(data.error).replace(/^/, 'data.') };
    const event: LaminaEvent = { id: env.data.id, type: env.data.type, ts: env.data.ts, data: data.data as Record<string, unknown> };
    if (env.data.key !== undefined) event.key = env.data.key;
    return { ok: true, event };
  }

  /** Parses a raw log message (JSON bytes) and validates it. */
  validateMessage(value: Uint8Array): ValidationResult {
    let parsed: unknown;
    try {
      parsed = JSON.parse(decoder.decode(value));
    } catch (error) {
      return { ok: false, reason: `message is not JSON: ${(error as Error).message}` };
    }
    return this.validate(parsed);
  }

  /** The log message key for an event: explicit key, else the type's keyField value, else the id. */
  keyOf(event: LaminaEvent): string {
    if (event.key !== undefined) return event.key;
    const keyField = this.config.eventTypes[event.type]?.keyField;
    const value = keyField === undefined ? undefined : event.data[keyField];
    return value === undefined || value === null ? event.id : String(value);
  }
}

const decoder = new TextDecoder();

/** The canonical log encoding of an accepted event (ts as ISO so other consumers read it easily). */
export function encodeEvent(event: LaminaEvent): string {
  return JSON.stringify({ id: event.id, type: event.type, ts: new Date(event.ts).toISOString(), ...(event.key === undefined ? {} : { key: event.key }), data: event.data });
}
