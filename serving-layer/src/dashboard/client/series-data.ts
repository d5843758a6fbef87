/**
 * The chart's x and y arrays from answer rows: one point per bucket of the range, where a bucket
 * without events shows the measure's empty value (0, or a gap).
 */
import { bucketStart } from '../../../../shared/src/views/time-buckets.js';
import type { ChartGranularity, TimeRange } from './dashboard-state.js';
import { emptyValue } from './empty-value.js';

const SIZE: Record<Exclude<ChartGranularity, 'month'>, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000 };
/** Beyond this many buckets only the buckets with rows are drawn. */
const MAX_FILLED = 20_000;

const next = (bucket: number, g: ChartGranularity) => (g === 'month' ? bucketStart(bucket + 32 * SIZE.day, 'month') : bucket + SIZE[g]);

export function seriesData(rows: { bucket: string; value: number | null }[], kind: string, g: ChartGranularity, range: TimeRange, now: number): [number[], (number | null)[]] {
  const values = new Map(rows.map((r) => [Date.parse(r.bucket), r.value]));
  const buckets = [...values.keys()].sort((a, b) => a - b);
  const first = Math.min(range.from ?? Infinity, buckets[0] ?? Infinity);
  const last = Math.max(range.to === undefined ? now : range.to - 1, buckets.at(-1) ?? -Infinity);
  const all: number[] = [];
  if (Number.isFinite(first) && Number.isFinite(last)) {
    for (let b = bucketStart(first, g); b <= last && all.length <= MAX_FILLED; b = next(b, g)) all.push(b);
  }
  const xs = all.length <= MAX_FILLED ? all : buckets;
  const empty = emptyValue(kind);
  // uPlot's time scale is in seconds.
  return [xs.map((b) => b / 1000), xs.map((b) => (values.has(b) ? values.get(b)! : empty))];
}
