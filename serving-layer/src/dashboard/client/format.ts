/** How the dashboard shows numbers and instants: plain numbers with at most two decimals, UTC times. */
const numbers = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

export function formatNumber(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : numbers.format(value);
}

/** `2026-11-20 10:01 UTC`, or with seconds. */
export function formatUtc(ms: number, withSeconds = false): string {
  return `${new Date(ms).toISOString().slice(0, withSeconds ? 19 : 16).replace('T', ' ')} UTC`;
}
