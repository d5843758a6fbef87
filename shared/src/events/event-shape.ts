/**
 * The shape limits of one ingested event (config `ingest`): nesting depth, string length, number of
 * values. Checked by an explicit stack, never by recursion, so an event nested 10,000 deep is refused
 * with a reason instead of overflowing the call stack of whatever reads it next (the encoder, a clone).
 */
export interface ShapeLimits {
  maxDepth: number;
  maxStringLength: number;
  maxValues: number;
}

/** Why the event breaks a limit (the first one found), or undefined. */
export function shapeProblem(event: unknown, limits: ShapeLimits): string | undefined {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value: event, depth: 0, path: '(event)' }];
  let values = 0;
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.length > limits.maxStringLength) return `${path}: a string of ${value.length} characters; at most ${limits.maxStringLength} (ingest.maxStringLength)`;
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= limits.maxDepth) return `${path}: nested deeper than ${limits.maxDepth} levels (ingest.maxDepth)`;
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    values += entries.length;
    if (values > limits.maxValues) return `(event): more than ${limits.maxValues} values (ingest.maxValues)`;
    for (const [k, v] of entries) {
      if (k.length > limits.maxStringLength) return `${path}: a key of ${k.length} characters; at most ${limits.maxStringLength} (ingest.maxStringLength)`;
      stack.push({ value: v, depth: depth + 1, path: path === '(event)' ? k.slice(0, 64) : `${path}.${k.slice(0, 64)}` });
    }
  }
  return undefined;
}
