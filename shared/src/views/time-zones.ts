/**
 * Roll-up buckets in an IANA time zone: a day, week or month starts at local midnight, which moves
 * against UTC with the zone's offset (and its daylight-saving changes). Offsets come from Intl
 * (the ICU data Node ships), cached per hour of UTC time, since a query rolls up many buckets.
 */
import { ValidationError } from '../errors.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws ValidationError unless `zone` is an IANA time zone name Node knows. */
export function assertTimeZone(zone: string): void {
  try {
    formatter(zone);
  } catch {
    throw new ValidationError(`'${zone}' is not an IANA time zone name (e.g. 'Europe/Berlin', 'America/New_York', 'UTC')`);
  }
}

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(zone, f);
  }
  return f;
}

const offsets = new Map<string, number>();

/** The zone's offset from UTC (ms, local = utc + offset) at instant `ts`. */
export function zoneOffset(zone: string, ts: number): number {
  const hour = Math.floor(ts / HOUR);
  const key = `${zone}|${hour}`;
  const cached = offsets.get(key);
  if (cached !== undefined) return cached;
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(hour * HOUR))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const local = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  const offset = local - hour * HOUR;
  if (offsets.size > 100_000) offsets.clear();
  offsets.set(key, offset);
  return offset;
}

/** The UTC instant of a local wall-clock time (ms since the epoch as if local were UTC). */
export function fromLocal(zone: string, localMs: number): number {
  // Two passes settle the offset at the result, including on the far side of a DST change.
  let ts = localMs - zoneOffset(zone, localMs);
  ts = localMs - zoneOffset(zone, ts);
  return ts;
}

/** Whether every offset of the zone is a whole number of hours (then hour buckets roll up into its days). */
export function wholeHourZone(zone: string): boolean {
  const year = new Date().getUTCFullYear();
  // Sampled across two years: offsets and DST rules of a zone rarely change more often.
  for (let m = -12; m <= 12; m++) if (zoneOffset(zone, Date.UTC(year, m, 15)) % HOUR !== 0) return false;
  return true;
}
