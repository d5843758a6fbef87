/**
 * How the serving layer reads the speed layer: in-process in embedded mode, over HTTP (one client
 * per speed instance) in distributed mode. Each answer carries its coverage, so the caller can check
 * that every partition is covered exactly once, for the generation it serves.
 */
import type { GroupRow } from '../views/view-aggregate.js';
import type { ViewQuery } from '../views/view-query.js';

export interface PartitionCoverage {
  partition: number;
  generation: number;
  /** First offset folded: the generation's watermark for this partition. */
  fromOffset: number;
  /** One past the last offset folded. */
  toOffset: number;
  /** The partition's end offset as last seen by the consumer. */
  highWatermark: number;
  /** Caught up with the log (for this generation) at least once. */
  ready: boolean;
  /** Log time (ms) of the newest event folded; null if none yet. */
  lastEventTime: number | null;
}

export interface RealtimeStatus {
  instance: string;
  generations: { generation: number; partitions: PartitionCoverage[] }[];
}

export interface RealtimeRequest {
  generation: number;
  view: string;
  /** The view definition the caller merges with (CompiledView.fingerprint): both sides must fold the same one. */
  fingerprint: string;
  query: ViewQuery;
  /**
   * The coverage version (coverageVersion) of the part the caller already holds for this request: if
   * the instance's state is still at it, it answers `unchanged` with no rows, and the caller reuses
   * its part. A dashboard polling an idle view then costs the speed layer no fold of its rows.
   */
  knownVersion?: string;
}

export interface RealtimePart {
  instance: string;
  /** Rows rolled up per the query (bucket at the query's granularity, dims per its groupBy). */
  rows: GroupRow[];
  coverage: PartitionCoverage[];
  /** The state is still at the request's knownVersion: `rows` is empty, the caller's part stands. */
  unchanged?: boolean;
}

/**
 * What a realtime part was folded from: the offset range per partition. Equal versions, equal rows —
 * the high watermark and the newest event time may move without changing them.
 */
export function coverageVersion(coverage: readonly PartitionCoverage[]): string {
  return coverage.map((c) => `${c.generation}/${c.partition}:${c.fromOffset}-${c.toOffset}`).sort().join(',');
}

export interface RealtimeSource {
  readonly name: string;
  status(): Promise<RealtimeStatus>;
  query(request: RealtimeRequest): Promise<RealtimePart>;
  /**
   * The status as pushed a moment ago (a remote instance's long poll), or undefined when not known to
   * be current. A cached answer whose realtime version it matches is served without asking.
   */
  knownStatus?(): RealtimeStatus | undefined;
}
