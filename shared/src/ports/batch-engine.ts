/**
 * The BatchEngine port: what the batch layer asks of a columnar engine. Lamina plans (which raw files,
 * which offsets, which dates) and publishes; the engine only computes, from local Parquet files, and
 * writes view rows as Parquet files partitioned by `_date` into a local folder. Adapters: DuckDB
 * in-process (batch-layer/src/engines/duckdb); Spark is planned behind the same port.
 */
import type { CompiledView } from '../views/compiled-view.js';
import type { OffsetWindow } from '../tables/offset-ranges.js';

/** One raw table's files, as local paths the engine can read. */
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
   * coverage); `inputs` then hold every file of their dates (see view-sql.ts, firstCopies).
   */
  dedupScope?: OffsetWindow[];
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
  /** Newest `_log_ts` (ms) among the rows; null when none. */
  maxLogTime: number | null;
}

/** How to find later copies while scanning a raw table: the window and the positions copies are ranked over. */
export interface RawDedup {
  window: 'hour' | 'day';
  scope: readonly OffsetWindow[];
}

export interface BatchEngine {
  readonly name: string;
  /** Counts the rows of a raw table inside the windows (the complete-read check) and their newest log time. */
  scanRaw(input: RawInput, windows: readonly OffsetWindow[], dedup?: RawDedup): Promise<RawScan>;
  computeView(task: ViewComputeTask): Promise<ViewOutputFile[]>;
  close(): Promise<void>;
}
