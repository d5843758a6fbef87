/**
 * View fields start one per event-loop turn, across all requests. A view field's answer is computed
 * synchronously once its realtime parts are in (in embedded mode they come without any I/O), so
 * without turns a request of ten view fields holds the process for all ten, and /healthz, ingest and
 * the speed layer wait for the whole request. With turns they are served between two view fields.
 * Waits on I/O (distributed mode's speed instances) still overlap: a turn only starts a field.
 * A field whose query was abandoned (deadline, client gone) by the time its turn comes does not run.
 */
import type { Plugin } from 'graphql-yoga';
import { useOnViewFieldResolve } from './on-view-field-resolve.js';
import { Turns } from './turns.js';
import { executionSignal } from './execution-signal.js';

export function useViewFieldTurns(viewFields: ReadonlySet<string>): Plugin {
  const turns = new Turns();
  return useOnViewFieldResolve(viewFields, async ({ context, info }) => {
    await turns.next();
    executionSignal(context, info)?.throwIfAborted();
  });
}
