/**
 * Counts refused requests by reason (`lamina_graphql_refused_total{reason}`) and logs each refusal
 * once. Counted from the answer, not where each limit is checked, so a refusal graphql-yoga serves
 * from its document cache, or its own 413, is counted too.
 */
import type { Plugin } from 'graphql-yoga';
import { counter, type Logger, type Registry } from '@lamina/shared';
import { REFUSAL_CODES } from './query-limit-errors.js';

interface ResultLike {
  errors?: readonly { extensions?: Record<string, unknown> }[];
}

export function useRefusalMetrics(registry: Registry, logger: Logger): Plugin {
  const refused = counter(registry, 'lamina_graphql_refused_total', 'GraphQL requests refused by a limit (serving.limits), by reason (the error code)', ['reason']);
  return {
    onResultProcess({ result }) {
      const results = (Array.isArray(result) ? result : [result]) as ResultLike[];
      const reasons = new Set<string>();
      for (const r of results) for (const error of r.errors ?? []) {
        const code = error.extensions?.code;
        if (typeof code === 'string' && REFUSAL_CODES.has(code)) reasons.add(code);
      }
      if (reasons.size === 0) return;
      for (const reason of reasons) refused.inc({ reason });
      logger.info({ reasons: [...reasons] }, 'graphql: request refused by a limit');
    },
  };
}
