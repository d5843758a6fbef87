/**
 * At most `maxRows` rows per view field. A `limit` above it is refused before the view is read; an
 * answer with more rows and no `limit` is refused once computed. Never truncated: a short list would
 * look like a complete answer, and Lamina's answers are exact or absent.
 */
import type { Plugin } from 'graphql-yoga';
import { useOnViewFieldResolve } from './on-view-field-resolve.js';
import { QueryLimitError } from './query-limit-errors.js';

const advice = 'add filters, a shorter time range or a coarser granularity (serving.limits.maxRows)';

export function useRowLimit(maxRows: number, viewFields: ReadonlySet<string>): Plugin {
  return useOnViewFieldResolve(viewFields, ({ info, args }) => {
    const field = info.path.key;
    if (typeof args.limit === 'number' && args.limit > maxRows) {
      throw new QueryLimitError('TOO_MANY_ROWS', `${field}: limit ${args.limit} is above the ${maxRows} rows a view field may answer; ask for at most ${maxRows}, or ${advice}`);
    }
    return ({ result, setResult }) => {
      // `v` answers its rows, `vWithFreshness` { rows, freshness }.
      const rows = Array.isArray(result) ? result : (result as { rows?: unknown } | null)?.rows;
      if (Array.isArray(rows) && rows.length > maxRows) {
        setResult(new QueryLimitError('TOO_MANY_ROWS', `${field}: the answer has ${rows.length} rows, more than the ${maxRows} a view field may answer; add \`limit\` (at most ${maxRows}), or ${advice}`));
      }
    };
  });
}
