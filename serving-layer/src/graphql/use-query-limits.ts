/**
 * Everything that bounds what one GraphQL request costs the process, as graphql-yoga plugins: the
 * document (tokens, aliases, depth, view fields), the rows per view field, and the refusal counter.
 * The body size is graphql-yoga's own `maxRequestBodySize` (see serving-layer.ts).
 */
import type { Plugin } from 'graphql-yoga';
import { viewQueryFields, type CompiledView, type Logger, type Registry, type ServingLimits } from '@lamina/shared';
import { useDocumentLimits } from './use-document-limits.js';
import { useRefusalMetrics } from './use-refusal-metrics.js';
import { useRowLimit } from './use-row-limit.js';

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
      addPlugin(useRowLimit(limits.maxRows, viewFields));
    },
  };
}
