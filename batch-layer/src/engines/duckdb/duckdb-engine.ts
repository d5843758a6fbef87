/**
 * The DuckDB adapter of the BatchEngine port: DuckDB in-process (@duckdb/node-api), reading the
 * snapshot's Parquet files from local paths (read_parquet with union_by_name, so files written before
 * a schema evolution read the new columns as null); view rows go through writeViewFiles (sorted, one file per date).
 * Memory is bounded by `memoryLimit`; past it DuckDB spills to `spillDir`. No extension is loaded:
 * parquet is built in, and Lamina hands it files, not table paths.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import {
  arrowTypeOf,
  ddsketchBoundsTable,
  encodeParquet,
  type BatchEngine,
  type DeltaPrimitive,
  type Logger,
  type OffsetWindow,
  type RawDedup,
  type RawInput,
  type RawScan,
  type MissingReferences,
  type RawProfile,
  type RawProfileRequest,
  type ViewComputeTask,
  type ViewOutputFile,
} from '@lamina/shared';
import { writeFile } from 'node:fs/promises';
import { duckdbDialect } from '../../sql/dialect.js';
import { laterCopies, viewSql } from '../../sql/view-sql.js';
import { missingReferencesSql, rawProfileOf, rawProfileSql, rawScanOf, rawScanSql } from '../../sql/raw-facts-sql.js';
import { writeViewFiles } from '../view-files.js';
import { openDuckDb } from './duckdb-instance.js';

export interface DuckDbEngineOptions {
  /** DuckDB memory_limit, e.g. '2GB'. */
  memoryLimit: string;
  /** Worker threads; default: DuckDB's (one per core). */
  threads?: number;
  /** Where DuckDB spills and where per-run scratch files go. */
  scratchDir: string;
  logger: Logger;
}

const BOUNDS_TABLE = 'lamina_ddsketch_bounds';

export class DuckDbEngine implements BatchEngine {
  readonly name = 'duckdb';
  /** In-process memory follows the largest group of dates, not the lake (the 4 M-event bench peaks at 1.6 GB). */
  readonly maxRowsPerQuery = 1_500_000;
  private copySets = 0;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly options: DuckDbEngineOptions,
  ) {}

  static async open(options: DuckDbEngineOptions): Promise<DuckDbEngine> {
    const { instance, connection } = await openDuckDb(options);
    const engine = new DuckDbEngine(instance, connection, options);
    await engine.loadBounds();
    return engine;
  }

  /** The DDSketch bound table every view's quantile SQL joins (ddsketch-bounds.ts). */
  private async loadBounds(): Promise<void> {
    await this.connection.run(`CREATE OR REPLACE TEMP TABLE ${BOUNDS_TABLE} (key INTEGER, lower DOUBLE, upper DOUBLE)`);
    const { key, lower, upper } = ddsketchBoundsTable();
    const appender = await this.connection.createAppender(BOUNDS_TABLE);
    for (let i = 0; i < key.length; i++) {
      appender.appendInteger(key[i]!);
      appender.appendDouble(lower[i]!);
      appender.appendDouble(upper[i]!);
      appender.endRow();
    }
    appender.closeSync();
  }

  async scanRaw(input: RawInput, windows: readonly OffsetWindow[], dedup?: RawDedup): Promise<RawScan> {
    const scratch = await this.scratch();
    try {
      const relation = await this.relation(input, scratch);
      let copies: string | undefined;
      if (dedup) {
        // Kept for the run's views over the same windows: ranking copies once, not once per view and grain.
        copies = `lamina_copies_${this.copySets++}`;
        const ranked = await this.relation(dedup.input, scratch, 'dedup');
        await this.connection.run(`CREATE OR REPLACE TEMP TABLE ${copies} AS ${laterCopies(duckdbDialect, dedup.window, ranked, 'k', windows, dedup.scope, relation)}`);
      }
      const reader = await this.connection.runAndReadAll(rawScanSql(duckdbDialect, relation, windows, copies));
      return rawScanOf(reader.getRows()[0]!, copies);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  async computeView(task: ViewComputeTask): Promise<ViewOutputFile[]> {
    const scratch = await this.scratch();
    try {
      const sources = await Promise.all(task.inputs.map((input) => this.relation(input, scratch)));
      const sql = viewSql(duckdbDialect, { view: task.view, sources, windows: task.windows, ...(task.dedupScope ? { dedupScope: task.dedupScope } : {}), ...(task.copies ? { copies: task.copies } : {}), boundsTable: BOUNDS_TABLE });
      return await writeViewFiles(this.connection, task.view, sql, task.outputDir);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  async profileRaw(input: RawInput, windows: readonly OffsetWindow[], request: RawProfileRequest): Promise<RawProfile> {
    const scratch = await this.scratch();
    try {
      const relation = await this.relation(input, scratch);
      const reader = await this.connection.runAndReadAll(rawProfileSql(duckdbDialect, relation, windows, request));
      const row = reader.getRows()[0]!;
      return rawProfileOf(row, request);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  async missingReferences(input: RawInput, windows: readonly OffsetWindow[], column: string, referenced: RawInput, referencedColumn: string): Promise<MissingReferences> {
    const scratch = await this.scratch();
    try {
      const relation = await this.relation(input, scratch);
      const keys = await this.relation(referenced, scratch, 'referenced');
      const sql = missingReferencesSql(duckdbDialect, relation, windows, column, keys, referencedColumn);
      const counts = (await this.connection.runAndReadAll(sql.counts)).getRows()[0]!;
      const examples = (await this.connection.runAndReadAll(sql.examples)).getRows().map((r) => String(r[0]));
      return { checked: Number(counts[0]), missing: Number(counts[1]), examples };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private async scratch(): Promise<string> {
    const dir = join(this.options.scratchDir, `run-${randomUUID()}`);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /**
   * The input's files plus an empty file with every column of the table: with union_by_name, a column
   * no selected file has yet (added by a schema change) still exists, as null — and no input is ever
   * an empty list.
   */
  private async relation(input: RawInput, scratch: string, role = 'input'): Promise<string> {
    const schema = new arrow.Schema([...input.columns].map(([name, type]) => new arrow.Field(name, arrowTypeOf(type as DeltaPrimitive), true)));
    const schemaFile = join(scratch, `schema-${role}-${input.eventType}.parquet`);
    await writeFile(schemaFile, await encodeParquet(new arrow.Table(schema)));
    return duckdbDialect.readParquet([schemaFile, ...input.files]);
  }
}
