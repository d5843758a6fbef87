/**
 * Why a GraphQL request was refused, as stable codes clients can branch on (docs/graphql-api.md,
 * "Errors"). A refusal is not retriable: the same request is refused again; a time-out may pass.
 */
import { LaminaError } from '@lamina/shared';

export const QUERY_LIMIT_CODES = ['TOO_MANY_ALIASES', 'TOO_MANY_VIEW_FIELDS', 'QUERY_TOO_DEEP', 'QUERY_TOO_LONG', 'TOO_MANY_ROWS'] as const;
export type QueryLimitCode = (typeof QUERY_LIMIT_CODES)[number];

/** graphql-yoga's own code for a body over `maxRequestBodySize` (HTTP 413). */
export const BODY_TOO_LARGE_CODE = 'REQUEST_ENTITY_TOO_LARGE';

/** Every code that means "this request was refused by a limit", for the refusal counter. */
export const REFUSAL_CODES: ReadonlySet<string> = new Set([...QUERY_LIMIT_CODES, 'QUERY_TIMEOUT', BODY_TOO_LARGE_CODE]);

export class QueryLimitError extends LaminaError {
  constructor(code: QueryLimitCode, message: string) {
    super(code, message);
  }
}

export class QueryTimeoutError extends LaminaError {
  constructor(timeoutMs: number) {
    super(
      'QUERY_TIMEOUT',
      `the query did not finish within ${timeoutMs} ms (serving.limits.queryTimeoutMs), so it was abandoned; retry, or ask for less (fewer view fields, filters, a shorter time range, a coarser granularity)`,
      { retriable: true },
    );
  }
}
