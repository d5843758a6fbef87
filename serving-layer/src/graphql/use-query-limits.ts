/**
 * Everything that bounds what one GraphQL request costs the process, as graphql-yoga plugins: the
 * document (tokens, aliases, depth, view fields), the rows per view field, the execution time (a
 * deadline, and cancellation when the client hangs up), the turns view fields take with the rest of
 * the process, and the refusal counter. The body size is graphql-yoga's own `maxRequestBodySize`
 * (see serving-layer.ts).
 */
import { useExecutionCancellation, type Plugin } from 'graphql-yoga';
import { viewQueryFields, type CompiledView, type Logger, type Registry, type ServingLimits } from '@lamina/shared';
import { useDocumentLimits } from './use-document-limits.js';
import { useQueryDeadline } from './use-query-deadline.js';
import { useRefusalMetrics } from './use-refusal-metrics.js';
import { useRowLimit } from './use-row-limit.js';
import { useViewFieldTurns } from './use-view-field-turns.js';

export interface QueryLimitsOptions {
  limits: ServingLimits;
  views: readonly CompiledView[];
  registry: Registry;
  logger: Logger;
}

export function useQueryLimits({ limits, views, registry, logger }: QueryLimitsOptions): Plugin {
  const viewFields = new Set(views.flatMap((v) => viewQueryFields(v.name)));
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(useRefusalMetrics(registry, logger));
      addPlugin(useDocumentLimits(limits, viewFields));
      // A client that hangs up cancels its execution as the deadline does (the same signal).
      addPlugin(useExecutionCancellation());
      addPlugin(useQueryDeadline(limits.queryTimeoutMs, logger));
      // Wrapped in this order, a `limit` above maxRows is refused before the field waits for its turn.
      addPlugin(useViewFieldTurns(viewFields));
      addPlugin(useRowLimit(limits.maxRows, viewFields));
    },
  };
}
