/**
 * Encodes a large answer as JSON a slice of rows at a time, taking turns in between. JSON.stringify
 * of fifteen thousand rows (1.8 MB) holds the event loop for 15–20 ms in one piece, and /healthz,
 * ingest and the speed layer's replies wait behind it. The bytes are what JSON.stringify gives; only
 * a result without errors or internal extensions (the common, large case) is encoded here.
 */
import type { Plugin } from 'graphql-yoga';
import { TimeSlice } from '@lamina/shared';

export interface SlicedJsonOptions {
  /** Lists at least this long are encoded in slices (smaller answers: one JSON.stringify). */
  minRows?: number;
  /** Rows per JSON.stringify call. */
  rowsPerSlice?: number;
}

/** How deep lists are looked for: result → data → field → { rows } (a `…WithFreshness` field). */
const MAX_DEPTH = 4;

export function useSlicedJson(options: SlicedJsonOptions = {}): Plugin {
  const minRows = options.minRows ?? 2_000;
  const rowsPerSlice = options.rowsPerSlice ?? 500;
  return {
    async onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || Symbol.asyncIterator in result) return;
      // Errors and internal extensions are rewritten by yoga's encoder before encoding: leave those to it.
      if (result.errors?.length || result.extensions?.http || !hasLongList(result, minRows, 0)) return;
      const parts: string[] = [];
      await encode(result, parts, new TimeSlice(1), minRows, rowsPerSlice, 0);
      const text = parts.join('');
      // yoga's JSON encoder uses a result's own `stringify` (as graphql-jit's compiled one is used).
      setResult({ ...result, stringify: () => text } as typeof result);
    },
  };
}

function hasLongList(value: unknown, minRows: number, depth: number): boolean {
  if (Array.isArray(value)) return value.length >= minRows;
  if (depth >= MAX_DEPTH || value === null || typeof value !== 'object') return false;
  for (const key of Object.keys(value)) if (hasLongList((value as Record<string, unknown>)[key], minRows, depth + 1)) return true;
  return false;
}

/** Appends value's JSON to parts (JSON.stringify's text: undefined members left out). */
async function encode(value: unknown, parts: string[], slice: TimeSlice, minRows: number, rowsPerSlice: number, depth: number): Promise<void> {
  if (Array.isArray(value) && value.length >= minRows) {
    parts.push('[');
    for (let from = 0; from < value.length; from += rowsPerSlice) {
      if (slice.due()) await slice.take();
      const text = JSON.stringify(value.slice(from, from + rowsPerSlice));
      parts.push(from === 0 ? text.slice(1, -1) : `,${text.slice(1, -1)}`);
    }
    parts.push(']');
    return;
  }
  if (depth < MAX_DEPTH && value !== null && typeof value === 'object' && !Array.isArray(value) && typeof (value as { toJSON?: unknown }).toJSON !== 'function' && hasLongList(value, minRows, depth)) {
    parts.push('{');
    let first = true;
    for (const key of Object.keys(value)) {
      const member = (value as Record<string, unknown>)[key];
      if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
      parts.push(first ? `${JSON.stringify(key)}:` : `,${JSON.stringify(key)}:`);
      first = false;
      await encode(member, parts, slice, minRows, rowsPerSlice, depth + 1);
    }
    parts.push('}');
    return;
  }
  parts.push(JSON.stringify(value) ?? 'null');
}
