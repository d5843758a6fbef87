/**
 * Opening Lamina's lake: the format check, the schema registry, and the tables every layer agrees on
 * (one raw table per event type, the quarantine table, the frontier table). Every process calls this
 * at start; creating and evolving tables is idempotent and safe under races.
 */
import * as arrow from 'apache-arrow';
import { ConfigError } from '../errors.js';
import type { LaminaConfig } from '../config/schema.js';
import { DeltaTable } from '../lake/delta-table.js';
import { lakeLayout } from '../lake-layout.js';
import type { ObjectStore } from '../ports/object-store.js';
import { SchemaRegistry, type ResolvedType } from '../schemas/schema-registry.js';
import { quarantineSchema } from './quarantine-table.js';
import { RAW_PARTITION_COLUMNS, rawTableSchema } from './raw-table.js';

export const LAKE_FORMAT_VERSION = 2;

export interface LaminaLake {
  store: ObjectStore;
  /** Per event type: the newest schema version and every column any version declared. */
  schemas: Map<string, ResolvedType>;
  raw: Map<string, DeltaTable>;
  quarantine: DeltaTable;
  frontier: DeltaTable;
}

/** The frontier table holds no rows, only `txn` actions; Delta wants a column all the same. */
const frontierSchema = new arrow.Schema([new arrow.Field('note', new arrow.Utf8(), true)]);

const decoder = new TextDecoder();

/** Refuses a lake written in another format; marks a new lake with this one. */
export async function checkLakeFormat(store: ObjectStore): Promise<void> {
  const marker = await store.tryGet(lakeLayout.formatMarker);
  if (marker) {
    const { version } = JSON.parse(decoder.decode(marker)) as { version?: unknown };
    if (version === LAKE_FORMAT_VERSION) return;
    throw new ConfigError(`the lake is in format version ${String(version)}, this Lamina reads version ${LAKE_FORMAT_VERSION}; run the Lamina version that wrote it, or start on an empty data folder / bucket prefix`);
  }
  for await (const _ of store.list('lake/events/_delta_log/')) {
    throw new ConfigError(
      'the lake was written by Lamina 0.1 (one untyped `lake/events` table); this version keeps one typed table per event type. ' +
        'Start on an empty data folder (LAMINA_DATA_DIR) or bucket prefix (LAMINA_S3_PREFIX), and re-ingest or backfill the events',
    );
  }
  await store.putIfAbsent(lakeLayout.formatMarker, JSON.stringify({ format: 'lamina-lake', version: LAKE_FORMAT_VERSION }));
}

/** Opens the lake for `config`: checks the format, resolves the schemas, creates or evolves the tables. */
export async function openLake(store: ObjectStore, config: LaminaConfig): Promise<LaminaLake> {
  await checkLakeFormat(store);
  const schemas = await new SchemaRegistry(store).resolve(config);
  const raw = new Map<string, DeltaTable>();
  for (const [type, resolved] of schemas) {
    const table = DeltaTable.open(store, lakeLayout.rawTable(type));
    await table.ensureSchema(rawTableSchema(resolved.columns), { partitionColumns: RAW_PARTITION_COLUMNS, description: `Lamina raw events of type ${type}` });
    raw.set(type, table);
  }
  const quarantine = DeltaTable.open(store, lakeLayout.quarantineTable);
  await quarantine.ensureSchema(quarantineSchema);
  const frontier = DeltaTable.open(store, lakeLayout.frontierTable);
  await frontier.ensureSchema(frontierSchema, { description: 'Lamina archive frontier: txn actions only' });
  return { store, schemas, raw, quarantine, frontier };
}

/**
 * For processes that validate events but write no table (serving, speed): the lake format check and
 * the schema registry, so an incompatible or stale config refuses to start everywhere alike.
 */
export async function resolveSchemas(store: ObjectStore, config: LaminaConfig): Promise<Map<string, ResolvedType>> {
  await checkLakeFormat(store);
  return new SchemaRegistry(store).resolve(config);
}
