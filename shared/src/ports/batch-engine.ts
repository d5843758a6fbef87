/**
 * The BatchEngine port: what the batch layer asks of a columnar engine. Lamina plans (which raw files,
 * which offsets, which dates) and publishes; the engine only computes, from the Parquet files it is
 * handed, and writes view rows as Parquet files partitioned by `_date` into a local folder, sorted by
 * their key, one file per date (batch-layer/src/engines/view-files.ts), so that every engine writes
 * the same bytes for the same rows. Adapters: DuckDB in-process (batch-layer/src/engines/duckdb) and
 * Spark through a PySpark driver (batch-layer/src/engines/spark).
 */
import type { CompiledView } from '../views/compiled-view.js';
import type { OffsetWindow } from '../tables/offset-ranges.js';

/** One raw table's files, as paths the engine can read (local paths, or its storeUri's URIs). */
export interface RawInput {
  eventType: string;
  files: string[];
  /** The table's columns (name -> Delta type), so an empty input still has a typed shape. */
  columns: ReadonlyMap<string, string>;
}

export interface ViewComputeTask {
  view: CompiledView;
  /** One per source event type of the view. */
  inputs: RawInput[];
  /** Rows count when their (epoch, partition, offset) lies in one of these windows. */
  windows: OffsetWindow[];
  /**
   * With the view deduplicating: rank copies of an event over these positions (the generation's
   * coverage). A delta over the run's window gets the copies its raw scan found (`copies`); any other
   * task's `inputs` hold whole dates of the coverage, ranked in its own query (view-sql.ts, laterCopies).
   */
  dedupScope?: OffsetWindow[];
  /**
   * Per source event type (as `inputs`): the later copies among the rows of `windows`, found once by
   * scanRaw for the run (RawScan.copies) — used instead of ranking again. Only for the scan's windows.
   */
  copies?: (string | undefined)[];
  /** Empty local folder the engine writes `_date=YYYY-MM-DD/*.parquet` into. */
  outputDir: string;
}

export interface ViewOutputFile {
  /** Local path of the written file. */
  path: string;
  /** Epoch day of its `_date` partition. */
  day: number;
  rows: number;
}

export interface RawScan {
  rows: number;
  /** Rows of the windows that are later copies of an event (deduplication on; else 0). */
  duplicates: number;
  /** Deduplicating: a relation of their positions (_epoch, _partition, _offset), for this engine's later queries of the run. */
  copies?: string;
  /** Newest `_log_ts` (ms) among the rows; null when none. */
  maxLogTime: number | null;
}

/** How to find later copies while scanning a raw table: the window and the positions copies are ranked over. */
export interface RawDedup {
  window: 'hour' | 'day';
  scope: readonly OffsetWindow[];
  /** The files copies are ranked over: every file of the windows' dates (the scanned input has only the windows' files). */
  input: RawInput;
}

/** Columns of a raw table to profile for quality gates (missing values; means of numeric ones). */
export interface RawProfileRequest {
  columns: { name: string; numeric: boolean }[];
}

export interface RawProfile {
  rows: number;
  /** Newest event time `_ts` (ms) among the rows; null when none. */
  maxEventTime: number | null;
  /** Per requested column: rows where it is null, and its mean (numeric columns with a value; else null). */
  columns: Record<string, { nulls: number; mean: number | null }>;
}

export interface MissingReferences {
  /** Rows of the windows with a value in the column. */
  checked: number;
  /** Of those, rows whose value no row of the referenced input has. */
  missing: number;
  /** A few of the missing values (as text), for the gate's message. */
  examples: string[];
}

export interface BatchEngine {
  readonly name: string;
  /**
   * Raw rows one computeView call should read at most (whole dates are never split): DuckDB's memory
   * follows it; a cluster is better given every date of a task at once (one job, not one per group).
   */
  readonly maxRowsPerQuery: number;
  /**
   * When present, the engine reads the store's objects itself, at these URIs (Spark through S3A on
   * a cluster); RawInput.files then hold URIs. Absent: it is handed local files.
   */
  storeUri?(key: string): string;
  /** Counts the rows of a raw table inside the windows (the complete-read check) and their newest log time. */
  scanRaw(input: RawInput, windows: readonly OffsetWindow[], dedup?: RawDedup): Promise<RawScan>;
  computeView(task: ViewComputeTask): Promise<ViewOutputFile[]>;
  /** Quality gates: facts about a raw table's rows inside the windows. */
  profileRaw(input: RawInput, windows: readonly OffsetWindow[], request: RawProfileRequest): Promise<RawProfile>;
  /** Referential gate: rows of `input` inside the windows whose `column` value is not among `referenced`'s `referencedColumn` values (all its rows). */
  missingReferences(input: RawInput, windows: readonly OffsetWindow[], column: string, referenced: RawInput, referencedColumn: string): Promise<MissingReferences>;
  close(): Promise<void>;
}
