/**
 * The schema registry: every version of every event type's schema, stored in the lake create-only
 * (`lake/_schemas/<type>/<10-digit version>.json`), so every process of a deployment agrees on it.
 * A process that starts with a config resolves it: an unchanged schema keeps the newest version; a
 * changed one is checked against the newest version under the type's compatibility mode and, if it
 * passes, registered as the next version; an incompatible or stale one refuses to start.
 */
import { ConfigError, CorruptDataError } from '../errors.js';
import type { Compatibility, LaminaConfig } from '../config/schema.js';
import { compatibilityProblems, schemaFingerprintText, schemaOf, type EventSchema, type SchemaField } from '../events/event-schema.js';
import { lakeLayout } from '../lake-layout.js';
import type { ObjectStore } from '../ports/object-store.js';

export interface RegisteredSchema extends EventSchema {
  version: number;
  compatibility: Compatibility;
  registeredAt: string;
}

export interface ResolvedType {
  /** The newest version: what events are validated against. */
  current: RegisteredSchema;
  /** Every field any version declared, in order of first appearance: the raw table's data columns. */
  columns: SchemaField[];
}

const MAX_ATTEMPTS = 10;
const decoder = new TextDecoder();
const versionKey = (type: string, version: number) => `${lakeLayout.schemasPrefix}${type}/${String(version).padStart(10, '0')}.json`;

export class SchemaRegistry {
  constructor(private readonly store: ObjectStore) {}

  /** Every registered version of `type`, oldest first. */
  async history(type: string): Promise<RegisteredSchema[]> {
    const out: RegisteredSchema[] = [];
    for await (const info of this.store.list(`${lakeLayout.schemasPrefix}${type}/`)) {
      if (!info.key.endsWith('.json')) continue;
      const bytes = await this.store.get(info.key);
      try {
        out.push(JSON.parse(decoder.decode(bytes)) as RegisteredSchema);
      } catch (cause) {
        throw new CorruptDataError(`schema ${info.key} is not valid JSON; restore it from a backup`, { cause });
      }
    }
    return out.sort((a, b) => a.version - b.version);
  }

  /** Resolves every event type of `config` (registering new compatible versions); ConfigError otherwise. */
  async resolve(config: LaminaConfig): Promise<Map<string, ResolvedType>> {
    const resolved = new Map<string, ResolvedType>();
    const problems: string[] = [];
    for (const [type, typeConfig] of Object.entries(config.eventTypes)) {
      try {
        resolved.set(type, await this.resolveType(schemaOf(type, typeConfig), typeConfig.compatibility));
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        problems.push(error.message);
      }
    }
    if (problems.length > 0) throw new ConfigError(`the config's event schemas cannot be used with this lake:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    return resolved;
  }

  private async resolveType(declared: EventSchema, compatibility: Compatibility): Promise<ResolvedType> {
    const text = schemaFingerprintText(declared);
    for (let attempt = 1; ; attempt++) {
      const history = await this.history(declared.type);
      const newest = history.at(-1);
      if (newest && schemaFingerprintText(newest) === text) return { current: newest, columns: columnsOf(history) };
      const older = history.find((h) => schemaFingerprintText(h) === text);
      if (older) {
        throw new ConfigError(
          `eventTypes.${declared.type}: this config declares version ${older.version} of the schema, but the lake already has version ${newest!.version} (registered ${newest!.registeredAt}); deploy the newest config to every process`,
        );
      }
      if (newest) {
        const problems = compatibilityProblems(newest, declared, compatibility);
        if (problems.length > 0) {
          throw new ConfigError(`eventTypes.${declared.type} is not ${compatibility}-compatible with version ${newest.version} in the lake: ${problems.join('; ')}`);
        }
      }
      const candidate: RegisteredSchema = { ...declared, version: (newest?.version ?? 0) + 1, compatibility, registeredAt: new Date().toISOString() };
      if (await this.store.putIfAbsent(versionKey(declared.type, candidate.version), JSON.stringify(candidate, null, 2))) {
        return { current: candidate, columns: columnsOf([...history, candidate]) };
      }
      // Another process registered that version meanwhile: read it and decide again.
      if (attempt >= MAX_ATTEMPTS) throw new ConfigError(`eventTypes.${declared.type}: could not register a schema version after ${MAX_ATTEMPTS} attempts (other processes keep registering); retry`);
    }
  }
}

function columnsOf(history: readonly RegisteredSchema[]): SchemaField[] {
  const byPath = new Map<string, SchemaField>();
  // The newest declaration of a field wins (its default may have changed); order of first appearance stays.
  for (const version of history) for (const field of version.fields) byPath.set(field.path, field);
  return [...byPath.values()];
}
