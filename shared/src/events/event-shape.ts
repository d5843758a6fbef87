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
  return withinLimits(event, limits) ? undefined : firstProblem(event, limits);
}

/**
 * The same walk as firstProblem's without its paths and [key, value] pairs, which cost more than the
 * rest of ingest's validation: nearly every event passes and needs none. It checks the same four
 * limits on the same values, so it finds a problem exactly when firstProblem does.
 */
function withinLimits(event: unknown, limits: ShapeLimits): boolean {
  const values: unknown[] = [event];
  const depths: number[] = [0];
  let count = 0;
  while (values.length > 0) {
    const value = values.pop();
    const depth = depths.pop()!;
    if (typeof value === 'string') {
      if (value.length > limits.maxStringLength) return false;
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= limits.maxDepth) return false;
    if (Array.isArray(value)) {
      count += value.length;
      // The longest index key is the last one's.
      if (count > limits.maxValues || (value.length > 0 && String(value.length - 1).length > limits.maxStringLength)) return false;
      for (let i = 0; i < value.length; i++) {
        values.push(value[i]);
        depths.push(depth + 1);
      }
      continue;
    }
    const keys = Object.keys(value);
    count += keys.length;
    if (count > limits.maxValues) return false;
    for (const k of keys) {
      if (k.length > limits.maxStringLength) return false;
      values.push((value as Record<string, unknown>)[k]);
      depths.push(depth + 1);
    }
  }
  return true;
}

function firstProblem(event: unknown, limits: ShapeLimits): string | undefined {
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
