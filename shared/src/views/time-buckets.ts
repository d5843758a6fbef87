/** UTC time buckets: the finest ones a view stores, and the roll-ups a query may ask for. */

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

const order: RollUp[] = ['minute', 'hour', 'day', 'week', 'month', 'all'];

/** A view stored at `finest` can answer `requested` only if it is the same or coarser. */
export function canRollUp(finest: RollUp, requested: RollUp): boolean {
  if (finest === requested) return true;
  // Weeks do not nest in months, but both are unions of whole days, so either rolls up from day or finer.
  return order.indexOf(requested) > order.indexOf(finest);
}
