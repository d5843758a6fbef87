/**
 * What one GraphQL request may ask of a serving instance. A single request shares the process with
 * ingest, the speed layer and the health endpoints, so every dimension of its cost is bounded and a
 * request past a bound is refused before anything runs (or, for rows and time, as soon as it shows).
 * The defaults leave room for any dashboard written by hand; see docs/graphql-api.md ("Limits").
 */
import { z } from 'zod';

export const servingLimitsSchema = z.strictObject({
  /** Aliases in one operation (fragments counted where spread); graphql-armor's own default. */
  maxAliases: z.number().int().min(0).default(15),
  /** View fields (`v`, `vWithFreshness`) at the root of one operation: each one reads a whole view. */
  maxViewFields: z.number().int().min(1).default(10),
  /** Nesting depth of one operation; the generated schema's deepest selection is 4 (`vWithFreshness { freshness { coverage { partition } } }`). */
  maxDepth: z.number().int().min(1).default(6),
  /** Lexical tokens of the document, counted while parsing, so a huge document stops early. */
  maxTokens: z.number().int().min(100).default(2000),
  /** Rows one view field may answer: a larger `limit` or a larger answer is refused, never truncated. */
  maxRows: z.number().int().min(1).default(50_000),
  /** Deadline of a query's execution; past it the request answers QUERY_TIMEOUT (retriable). */
  queryTimeoutMs: z.number().int().min(1).default(10_000),
  /** Bytes of a GraphQL request body; a larger one answers HTTP 413 before it is read. */
  maxBodyBytes: z.number().int().min(1024).default(1_000_000),
});

export type ServingLimits = z.output<typeof servingLimitsSchema>;
