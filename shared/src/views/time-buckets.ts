/**
 * Time buckets: the finest ones a view stores (UTC), and the roll-ups a query may ask for, in UTC or
 * in an IANA time zone (days, weeks and months then start at local midnight).
 */
import { fromLocal, zoneOffset } from './time-zones.js';

export type RollUp = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'all';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
// 1970-01-01 was a Thursday; ISO weeks start on Monday, 4 days later.
const MONDAY_OFFSET = 4 * DAY;

export const ALL_TIME_BUCKET = 0;

const floorTo = (ts: number, size: number, offset = 0) => Math.floor((ts - offset) / size) * size + offset;

/** Start (ms) of the bucket of `ts` at granularity `g`. For 'all' every instant maps to one bucket. */
export function bucketStart(ts: number, g: RollUp): number {
  switch (g) {
    case 'minute':
      return floorTo(ts, MINUTE);
    case 'hour':
      return floorTo(ts, HOUR);
    case 'day':
      return floorTo(ts, DAY);
    case 'week':
      return floorTo(ts, WEEK, MONDAY_OFFSET);
    case 'month': {
      const d = new Date(ts);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    }
    case 'all':
      return ALL_TIME_BUCKET;
  }
}

/**
 * Start of the bucket of `ts` at granularity `g` in time zone `zone` (undefined or 'UTC': UTC).
 * Minutes are minutes everywhere; hours follow the zone's offset (a +5:30 zone's hours start at :30).
 */
export function zonedBucketStart(ts: number, g: RollUp, zone: string | undefined): number {
  if (zone === undefined || zone === 'UTC' || g === 'minute' || g === 'all') return bucketStart(ts, g);
  const offset = zoneOffset(zone, ts);
  // The bucket in local wall-clock time, then back to the UTC instant it starts at.
  return fromLocal(zone, bucketStart(ts + offset, g));
}

const order: RollUp[] = ['minute', 'hour', 'day', 'week', 'month', 'all'];

/** A view stored at `finest` can answer `requested` only if it is the same or coarser. */
export function canRollUp(finest: RollUp, requested: RollUp): boolean {
  if (finest === requested) return true;
  // Weeks do not nest in months, but both are unions of whole days, so either rolls up from day or finer.
  return order.indexOf(requested) > order.indexOf(finest);
}
