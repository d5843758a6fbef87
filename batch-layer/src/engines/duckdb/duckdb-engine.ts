/**
 * The DuckDB adapter of the BatchEngine port: DuckDB in-process (@duckdb/node-api), reading the
 * snapshot's Parquet files from local paths (read_parquet with union_by_name, so files written before
 * a schema evolution read the new columns as null) and writing view rows with COPY … PARTITION_BY.
 * Memory is bounded by `memoryLimit`; past it DuckDB spills to `spillDir`. No extension is loaded:
 * parquet is built in, and Lamina hands it files, not table paths.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import {
  UnavailableError,
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
import { windowPredicate } from '../../sql/window-predicate.js';
import { quoteIdent } from '../../sql/literals.js';

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
const DAY_MS = 86_400_000;

export class DuckDbEngine implements BatchEngine {
  readonly name = 'duckdb';
  private copySets = 0;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly options: DuckDbEngineOptions,
  ) {}

  static async open(options: DuckDbEngineOptions): Promise<DuckDbEngine> {
    await mkdir(join(options.scratchDir, 'spill'), { recursive: true });
    const config: Record<string, string> = {
      memory_limit: options.memoryLimit,
      temp_directory: join(options.scratchDir, 'spill'),
      // Row order is never relied on (every state is order-independent); not keeping it saves memory.
      preserve_insertion_order: 'false',
      enable_external_access: 'true',
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    };
    if (options.threads !== undefined) config.threads = String(options.threads);
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(':memory:', config);
    } catch (cause) {
      throw new UnavailableError(`cannot start DuckDB (${(cause as Error).message}); check batch.memoryLimit and batch.threads`, { cause });
    }
    const connection = await instance.connect();
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
      const counted = copies ? `(SELECT count(*) FROM ${copies})` : '0';
      const reader = await this.connection.runAndReadAll(`SELECT count(*) AS n, max(epoch_ms(_log_ts)) AS t, ${counted} AS d FROM ${relation} AS r WHERE ${windowPredicate(windows)}`);
      const [n, t, d] = reader.getRows()[0]!;
      return { rows: Number(n), maxLogTime: t === null ? null : Number(t), duplicates: Number(d), ...(copies ? { copies } : {}) };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  async computeView(task: ViewComputeTask): Promise<ViewOutputFile[]> {
    const scratch = await this.scratch();
    try {
      const sources = await Promise.all(task.inputs.map((input) => this.relation(input, scratch)));
      const sql = viewSql(duckdbDialect, { view: task.view, sources, windows: task.windows, ...(task.dedupScope ? { dedupScope: task.dedupScope } : {}), ...(task.copies ? { copies: task.copies } : {}), boundsTable: BOUNDS_TABLE });
      await mkdir(task.outputDir, { recursive: true });
      const target = task.outputDir.replace(/'/g, "''");
      await this.connection.run(`COPY (${sql}) TO '${target}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (_date), FILENAME_PATTERN 'part-{uuid}', OVERWRITE_OR_IGNORE)`);
      return await this.outputFiles(task.outputDir);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  async profileRaw(input: RawInput, windows: readonly OffsetWindow[], request: RawProfileRequest): Promise<RawProfile> {
    const scratch = await this.scratch();
    try {
      const relation = await this.relation(input, scratch);
      const exprs = request.columns.flatMap((c, i) => {
        const column = quoteIdent(c.name);
        return [`count(*) - count(${column}) AS n${i}`, c.numeric ? `avg(${column})::DOUBLE AS m${i}` : `NULL::DOUBLE AS m${i}`];
      });
      const reader = await this.connection.runAndReadAll(`SELECT count(*) AS n, max(epoch_ms(_ts)) AS t${exprs.map((e) => `, ${e}`).join('')} FROM ${relation} AS r WHERE ${windowPredicate(windows)}`);
      const row = reader.getRows()[0]!;
      const columns: RawProfile['columns'] = {};
      request.columns.forEach((c, i) => {
        const mean = row[3 + 2 * i];
        columns[c.name] = { nulls: Number(row[2 + 2 * i]), mean: mean === null ? null : Number(mean) };
      });
      return { rows: Number(row[0]), maxEventTime: row[1] === null ? null : Number(row[1]), columns };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  async missingReferences(input: RawInput, windows: readonly OffsetWindow[], column: string, referenced: RawInput, referencedColumn: string): Promise<MissingReferences> {
    const scratch = await this.scratch();
    try {
      const relation = await this.relation(input, scratch);
      const keys = await this.relation(referenced, scratch, 'referenced');
      const c = quoteIdent(column);
      const checked = `SELECT ${c} AS v FROM ${relation} AS r WHERE ${windowPredicate(windows)} AND ${c} IS NOT NULL`;
      const missing = `SELECT v FROM (${checked}) AS x WHERE NOT EXISTS (SELECT 1 FROM ${keys} AS k WHERE k.${quoteIdent(referencedColumn)} = x.v)`;
      const counts = (await this.connection.runAndReadAll(`SELECT (SELECT count(*) FROM (${checked}) AS a), (SELECT count(*) FROM (${missing}) AS b)`)).getRows()[0]!;
      const examples = (await this.connection.runAndReadAll(`SELECT DISTINCT v::VARCHAR FROM (${missing}) AS m ORDER BY 1 LIMIT 5`)).getRows().map((r) => String(r[0]));
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

  private async outputFiles(dir: string): Promise<ViewOutputFile[]> {
    const files: { path: string; day: number }[] = [];
    for (const folder of await readdir(dir)) {
      const m = /^_date=(\d{4}-\d{2}-\d{2})$/.exec(folder);
      if (!m) continue;
      const day = Date.parse(`${m[1]}T00:00:00Z`) / DAY_MS;
      for (const name of await readdir(join(dir, folder))) if (name.endsWith('.parquet')) files.push({ path: join(dir, folder, name), day });
    }
    if (files.length === 0) return [];
    const list = files.map((f) => `'${f.path.replace(/'/g, "''")}'`).join(', ');
    const reader = await this.connection.runAndReadAll(`SELECT file_name, num_rows FROM parquet_file_metadata([${list}])`);
    const rows = new Map(reader.getRows().map(([name, n]) => [String(name), Number(n)]));
    return files.map((f) => ({ ...f, rows: rows.get(f.path) ?? 0 }));
  }
}
