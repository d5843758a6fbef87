/**
 * The Subscription type: one field per view, named like the view, with the arguments of its query
 * field, streaming the view's `<Type>Answer` (served over SSE by graphql-yoga).
 */
import type { CompiledView } from '@lamina/shared';
import { viewTypeName } from '@lamina/shared';
import { viewArgsSdl } from './schema-sdl.js';

export function buildSubscriptionSdl(views: readonly CompiledView[]): string {
  const fields = views.map(
    (view) => `  """The answer of ${view.name} now, then again whenever it can have changed (a new generation, more realtime records), at most once a second. Retriable errors (INCOMPLETE_COVERAGE, VIEW_INCOMPLETE, UNAVAILABLE) arrive as an event with errors and the stream goes on; others end it."""
  ${view.name}${viewArgsSdl(view)}: ${viewTypeName(view.name)}Answer!`,
  );
  return `type Subscription {\n${fields.join('\n')}\n}\n`;
}
