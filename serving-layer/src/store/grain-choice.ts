/**
 * Which stored grain of a view answers a query: the coarsest one (day, hour, the view's own) whose
 * buckets both nest in the query's granularity and start and end exactly at the query's range bounds —
 * then summing its rows gives the same states as summing the finer rows they were made of (the
 * measures are monoids), over far fewer rows. Day rows are UTC days, so a query in another time zone
 * reads hour rows (or the view's own minutes, in a zone whose offset is not whole hours).
 */
import { canRollUp, wholeHourZone, type RollUp, type ViewQuery } from '@lamina/shared';

const GRAIN_MS: Partial<Record<RollUp, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export interface Grained {
  /** The bucket size of the table's rows. */
  granularity: RollUp;
}

function aligned(ms: number | undefined, granularity: RollUp): boolean {
  const size = GRAIN_MS[granularity];
  return ms === undefined || (size !== undefined && ms % size === 0);
}

/** The coarsest usable table; `tables` lists the view's own grain first, then its roll-ups. */
export function chooseGrain<T extends Grained>(tables: readonly T[], query: ViewQuery): T {
  const zoned = query.timeZone !== undefined && query.timeZone !== 'UTC';
  for (const table of [...tables].reverse()) {
    const g = table.granularity;
    if (table === tables[0]) return table;
    if (!canRollUp(g, query.granularity) || !aligned(query.from, g) || !aligned(query.to, g)) continue;
    if (zoned && (g === 'day' || (g === 'hour' && !wholeHourZone(query.timeZone!)))) continue;
    return table;
  }
  return tables[0]!;
}
