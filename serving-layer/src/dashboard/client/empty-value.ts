/** What a measure is over no events: 0 for those that count or add up, none for the others (an empty minute has no average). */
const ZERO_WHEN_EMPTY = new Set(['count', 'sum', 'distinct']);

export const emptyValue = (kind: string): number | null => (ZERO_WHEN_EMPTY.has(kind) ? 0 : null);
