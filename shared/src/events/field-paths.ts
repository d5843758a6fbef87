/**
 * Field paths and the columns they become. A declared field is a path into an event's `data`
 * (`url`, or `geo.country` for a nested value); in the lake, in view tables and in GraphQL it is the
 * flat name of its segments joined by `__` (`geo__country`). Segments are identifiers that neither
 * start with `_` nor contain `__`, so the flattening never collides and never meets Lamina's own
 * columns, which all start with `_` (see raw-table.ts).
 */

const SEGMENT = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Why `path` is not a valid field path, or undefined when it is. */
export function fieldPathProblem(path: string): string | undefined {
  for (const segment of path.split('.')) {
    if (!SEGMENT.test(segment)) return `'${segment}' must be letters, digits and _ only, starting with a letter`;
    if (segment.includes('__')) return `'${segment}' must not contain '__' (nested paths are stored as a__b)`;
  }
  return undefined;
}

/** The flat column (and GraphQL) name of a field path. */
export function columnOf(path: string): string {
  return path.split('.').join('__');
}

/** Reads `a.b.c` from an event's data; undefined when a segment is missing or not an object. */
export function readPath(data: Record<string, unknown>, path: string): unknown {
  if (!path.includes('.')) return data[path];
  let value: unknown = data;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Sets `a.b.c` in `data`, creating the objects on the way (they are the caller's fresh copies). */
export function writePath(data: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let target = data;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = target[parts[i]!];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) target[parts[i]!] = {};
    target = target[parts[i]!] as Record<string, unknown>;
  }
  target[parts.at(-1)!] = value;
}
