/**
 * Group rows on the wire (speed layer -> serving layer): measure states as base64 of their
 * canonical encoding, so the serving layer merges exactly what the speed layer folded.
 */
import { CorruptDataError } from '../errors.js';
import type { RealtimePart } from '../ports/realtime-source.js';
import type { CompiledView } from './compiled-view.js';
import type { GroupRow } from './view-aggregate.js';

export interface WireRow {
  bucket: number;
  dims: (string | null)[];
  /** null for a measure the query did not select. */
  states: (string | null)[];
}

/** A speed layer's answer as it crosses a thread or HTTP: its rows encoded. */
export type EncodedRealtimePart = Omit<RealtimePart, 'rows'> & { rows: WireRow[] };

export function encodeRows(view: CompiledView, rows: readonly GroupRow[]): WireRow[] {
  return rows.map((row) => ({
    bucket: row.bucket,
    dims: row.dims,
    states: view.measures.map((m, i) => (row.states[i] === undefined ? null : Buffer.from(m.measure.encode(row.states[i])).toString('base64'))),
  }));
}

export function decodeRows(view: CompiledView, rows: readonly WireRow[]): GroupRow[] {
  return rows.map((row) => {
    if (row.states.length !== view.measures.length) {
      throw new CorruptDataError(`row of view '${view.name}' carries ${row.states.length} measure states, the view has ${view.measures.length}; are speed and serving running the same config?`);
    }
    return { bucket: row.bucket, dims: row.dims, states: view.measures.map((m, i) => (row.states[i] === null || row.states[i] === undefined ? undefined : m.measure.decode(Buffer.from(row.states[i]!, 'base64')))) };
  });
}
