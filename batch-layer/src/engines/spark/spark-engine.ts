/**
 * The Spark adapter of the BatchEngine port: the same compiled SQL as DuckDB's (sparkDialect), run
 * by a Spark session (spark-session.ts) on `local[n]` or a cluster. Spark reads the run's raw files
 * (temp views over Parquet, read with the table's schema) and writes each view's rows as Parquet;
 * writeViewFiles then writes them as the view table's files, so the bytes equal the DuckDB engine's
 * for the same rows. Spark only computes: Lamina plans and publishes.
 *
 * On an S3 lake Spark reads the raw files itself through S3A (s3a://bucket/prefix/key) and writes its
 * results under the lake's runs/_scratch/, which Lamina collects and deletes: on a cluster the
 * executors share no disk with Lamina. On a local lake it reads and writes local paths (local[n], or a
 * cluster with a shared file system).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import {
  UnavailableError,
  ddsketchBoundsTable,
  lakeLayout,
  type BatchEngine,
  type Logger,
  type ObjectStore,
  type RemoteLocation,
  type MissingReferences,
  type OffsetWindow,
  type RawDedup,
  type RawInput,
  type RawProfile,
  type RawProfileRequest,
  type RawScan,
  type ViewComputeTask,
  type ViewOutputFile,
} from '@lamina/shared';
import { sparkDialect } from '../../sql/dialect.js';
import { stringLiteral } from '../../sql/literals.js';
import { missingReferencesSql, rawProfileOf, rawProfileSql, rawScanOf, rawScanSql } from '../../sql/raw-facts-sql.js';
import { laterCopies, viewSql } from '../../sql/view-sql.js';
import { writeViewFiles } from '../view-files.js';
import { openDuckDb } from '../duckdb/duckdb-instance.js';
import { SparkSession } from './spark-session.js';

export interface SparkEngineOptions {
  /** Spark master URL, e.g. local[2], spark://host:7077, yarn. */
  master: string;
  /** A Python with pyspark (infra/spark/requirements.txt). */
  python: string;
  /** Jars for spark.jars (local paths or URLs): delta-spark, hadoop-aws for S3A. */
  jars: readonly string[];
  /** Further Spark settings; they win over Lamina's defaults. */
  conf: Readonly<Record<string, string>>;
  /** batch.memoryLimit: the driver's memory, and the limit of the writer's DuckDB. */
  memoryLimit: string;
  threads?: number;
  /** Local scratch: the view writer's spill, and Spark's results on a local lake. */
  scratchDir: string;
  /** The lake's store when it is remote (S3): see the header. */
  lake?: { store: ObjectStore; location: RemoteLocation };
  logger: Logger;
}

const BOUNDS_VIEW = 'lamina_ddsketch_bounds';

/** A session's settings: Lamina's defaults, then batch.spark.conf, then the three the SQL cannot do without. */
export function sparkConf(options: Pick<SparkEngineOptions, 'jars' | 'conf' | 'memoryLimit' | 'threads' | 'master' | 'lake' | 'python'>): Record<string, string> {
  const local = /^local\b/.test(options.master);
  return {
    'spark.ui.enabled': 'false',
    'spark.log.level': 'WARN',
    // On one machine: a run's queries are small next to Spark's default of 200 shuffle partitions,
    // Python workers (createDataFrame) must be the driver's Python, which has pyspark, and the
    // driver listens on loopback (a container's host name need not resolve).
    ...(local ? { 'spark.sql.shuffle.partitions': String(Math.max(2, 2 * (options.threads ?? 2))), 'spark.pyspark.python': options.python, 'spark.driver.bindAddress': '127.0.0.1', 'spark.driver.host': '127.0.0.1' } : {}),
    'spark.driver.memory': sparkSize(options.memoryLimit),
    ...(options.jars.length ? { 'spark.jars': options.jars.join(',') } : {}),
    ...(options.lake ? s3aConf(options.lake.location) : {}),
    ...options.conf,
    // The view SQL is written for these (dialect.ts): double-quoted identifiers need ANSI mode, and
    // epoch days and buckets are UTC. Not overridable.
    'spark.sql.ansi.enabled': 'true',
    'spark.sql.ansi.doubleQuotedIdentifiers': 'true',
    'spark.sql.session.timeZone': 'UTC',
  };
}

/**
 * S3A settings for the lake's bucket. Credentials are not among them: S3A takes them from its own
 * chain (Spark copies AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY into fs.s3a.*; then instance roles).
 */
function s3aConf(location: RemoteLocation): Record<string, string> {
  return {
    'spark.hadoop.fs.s3a.endpoint.region': location.region,
    ...(location.endpoint
      ? {
          'spark.hadoop.fs.s3a.endpoint': location.endpoint,
          // S3-compatible servers (MinIO) serve buckets by path, not by host name.
          'spark.hadoop.fs.s3a.path.style.access': 'true',
          'spark.hadoop.fs.s3a.connection.ssl.enabled': String(location.endpoint.startsWith('https:')),
        }
      : {}),
  };
}

/** A local path as a file: URI (a bare path would be read from fs.defaultFS, HDFS on a YARN cluster); URIs as they are. */
function fileUri(path: string): string {
  // Not percent-encoded: Hadoop's Path takes the string as it is.
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(path) ? path : `file://${resolve(path)}`;
}

function s3aUri(location: RemoteLocation, key: string): string {
  return `s3a://${location.bucket}/${location.prefix}${key}`;
}

/** DuckDB-style sizes ('2GB', '512MiB') as a JVM size ('2048m'). */
function sparkSize(size: string): string {
  const m = /^(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.exec(size.trim());
  if (!m) return '2g';
  const scale = { kb: 1 / 1024, mb: 1, gb: 1024, tb: 1024 * 1024 }[m[2]!.toLowerCase().replace('i', '') as 'kb' | 'mb' | 'gb' | 'tb'];
  return `${Math.max(512, Math.round(Number(m[1]) * scale))}m`;
}

export class SparkEngine implements BatchEngine {
  readonly name = 'spark';
  /** A task's dates in one Spark job: executors spill and scale; each job costs seconds of scheduling. */
  readonly maxRowsPerQuery = Number.POSITIVE_INFINITY;
  readonly storeUri?: (key: string) => string;
  /** Numbers the session's temp views. */
  private names = 0;

  private constructor(
    private readonly spark: SparkSession,
    private readonly writerDb: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly options: SparkEngineOptions,
  ) {
    const location = options.lake?.location;
    if (location) this.storeUri = (key) => s3aUri(location, key);
  }

  static async open(options: SparkEngineOptions): Promise<SparkEngine> {
    const spark = await SparkSession.start({ python: options.python, master: options.master, appName: 'lamina-batch', conf: sparkConf(options), logger: options.logger });
    try {
      const writer = await openDuckDb(options);
      const engine = new SparkEngine(spark, writer.instance, writer.connection, options);
      await engine.registerBounds();
      return engine;
    } catch (error) {
      // The driver process would otherwise outlive the run that failed to open the engine.
      await spark.stop();
      throw error;
    }
  }

  /** The DDSketch bounds (ddsketch-bounds.ts) as a cached temp view; JSON carries each double exactly. */
  private async registerBounds(): Promise<void> {
    const { key, lower, upper } = ddsketchBoundsTable();
    const rows = Array.from(key, (k, i) => [k, lower[i], upper[i]]);
    await this.spark.request('table', { name: BOUNDS_VIEW, schema: '`key` INT, `lower` DOUBLE, `upper` DOUBLE', rows });
  }

  /** A successful scan keeps its temp views while the session lasts: the cached copies were computed from them. */
  async scanRaw(input: RawInput, windows: readonly OffsetWindow[], dedup?: RawDedup): Promise<RawScan> {
    const registered: string[] = [];
    try {
      const relation = await this.relation(input, registered);
      let copies: string | undefined;
      if (dedup) {
        // Kept (cached) for the run's views over the same windows, as the DuckDB engine's temp table.
        copies = `lamina_copies_${this.names++}`;
        const ranked = await this.relation(dedup.input, registered);
        await this.spark.request('cache', { name: copies, sql: laterCopies(sparkDialect, dedup.window, ranked, 'k', windows, dedup.scope, relation) });
        registered.push(copies);
      }
      // On success the views stay registered (and the copies cached) while the session lasts.
      return rawScanOf(await this.row(rawScanSql(sparkDialect, relation, windows, copies)), copies);
    } catch (error) {
      await this.release(registered);
      throw error;
    }
  }

  async computeView(task: ViewComputeTask): Promise<ViewOutputFile[]> {
    const scratch = join(this.options.scratchDir, `spark-${randomUUID()}`);
    const registered: string[] = [];
    try {
      const sources = [];
      for (const input of task.inputs) sources.push(await this.relation(input, registered));
      const sql = viewSql(sparkDialect, { view: task.view, sources, windows: task.windows, ...(task.dedupScope ? { dedupScope: task.dedupScope } : {}), ...(task.copies ? { copies: task.copies } : {}), boundsTable: BOUNDS_VIEW });
      const computed = join(scratch, 'computed');
      await this.sparkWrite(sql, computed);
      const files = await committedOutput(computed);
      if (files.length === 0) return [];
      const rows = `SELECT * FROM read_parquet([${files.map(stringLiteral).join(', ')}], hive_partitioning = true, hive_types = {'_date': DATE})`;
      return await writeViewFiles(this.writer, task.view, rows, task.outputDir);
    } finally {
      await this.release(registered);
      await rm(scratch, { recursive: true, force: true });
    }
  }

  async profileRaw(input: RawInput, windows: readonly OffsetWindow[], request: RawProfileRequest): Promise<RawProfile> {
    const registered: string[] = [];
    try {
      const row = await this.row(rawProfileSql(sparkDialect, await this.relation(input, registered), windows, request));
      return rawProfileOf(row, request);
    } finally {
      await this.release(registered);
    }
  }

  async missingReferences(input: RawInput, windows: readonly OffsetWindow[], column: string, referenced: RawInput, referencedColumn: string): Promise<MissingReferences> {
    const registered: string[] = [];
    try {
      const sql = missingReferencesSql(sparkDialect, await this.relation(input, registered), windows, column, await this.relation(referenced, registered), referencedColumn);
      const [checked, missing] = await this.row(sql.counts);
      const examples = ((await this.spark.request('query', { sql: sql.examples })).rows as unknown[][]).map((r) => String(r[0]));
      return { checked: Number(checked), missing: Number(missing), examples };
    } finally {
      await this.release(registered);
    }
  }

  async close(): Promise<void> {
    this.writer.closeSync();
    this.writerDb.closeSync();
    await this.spark.stop();
  }

  /** Has Spark write the rows of `sql` (partitioned by _date) and puts them under the local folder `computed`. */
  private async sparkWrite(sql: string, computed: string): Promise<void> {
    const lake = this.options.lake;
    if (!lake) {
      await this.spark.request('write', { sql, path: fileUri(computed) });
      return;
    }
    const prefix = `${lakeLayout.engineScratchPrefix}${randomUUID()}/`;
    const keys: string[] = [];
    try {
      await this.spark.request('write', { sql, path: s3aUri(lake.location, prefix) });
      for await (const object of lake.store.list(prefix)) keys.push(object.key);
      for (const key of keys) {
        const relative = key.slice(prefix.length);
        if (relative !== SUCCESS && !OUTPUT_FILE.test(relative)) continue;
        const path = join(computed, relative);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, await lake.store.get(key));
      }
    } finally {
      // A failed write may have left task files the listing above never saw.
      if (keys.length === 0) for await (const object of lake.store.list(prefix)) keys.push(object.key);
      for (const key of keys) await lake.store.delete(key);
    }
  }

  private async row(sql: string): Promise<unknown[]> {
    const rows = (await this.spark.request('query', { sql })).rows as unknown[][];
    return rows[0]!;
  }

  /** A temp view over the input's files, read with the table's schema (see spark_driver.py, register). */
  private async relation(input: RawInput, registered: string[]): Promise<string> {
    const schema = [...input.columns].map(([name, type]) => `\`${name.replace(/`/g, '``')}\` ${type}`).join(', ');
    const name = `lamina_in_${this.names++}`;
    await this.spark.request('register', { name, files: input.files.map(fileUri), schema });
    registered.push(name);
    return name;
  }

  /** Drops a call's temp views. */
  private async release(registered: string[]): Promise<void> {
    await this.spark.request('drop', { names: registered }).catch(() => undefined);
  }
}

const SUCCESS = '_SUCCESS';
/** A data file of Spark's committed output: `_date=YYYY-MM-DD/part-….parquet` (not `_temporary/…` leftovers of task attempts). */
const OUTPUT_FILE = /^_date=\d{4}-\d{2}-\d{2}\/[^/_.][^/]*\.parquet$/;

/** The files of Spark's committed output under `dir`; no `_SUCCESS` means the job did not commit there. */
async function committedOutput(dir: string): Promise<string[]> {
  const names = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  if (!names.includes(SUCCESS)) throw new UnavailableError(`Spark's output at ${dir} has no ${SUCCESS}: the job did not commit its output there (check fs.defaultFS and the output committer)`);
  return names.filter((name) => OUTPUT_FILE.test(name.split(sep).join('/'))).map((name) => join(dir, name)).sort();
}
