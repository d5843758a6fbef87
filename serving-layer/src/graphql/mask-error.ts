import { GraphQLError } from 'graphql';
import { LaminaError, type Logger } from '@lamina/shared';
import { QueryLimitError } from './query-limit-errors.js';

/** A Lamina error as clients see it: its message, its stable code and whether a retry may pass. */
export function laminaGraphQLError(error: LaminaError, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(error.message, { extensions: { code: error.code, retriable: error.retriable, ...extensions } });
}

/**
 * Lamina's own errors carry actionable messages, so clients see them (with code and retriable);
 * anything else stays masked, as graphql-yoga does by default, and is logged for the operator.
 */
export function createMaskError(logger: Logger): (error: unknown, message: string) => Error {
  return (error, message) => {
    const original = error instanceof GraphQLError ? error.originalError : error;
    if (original instanceof LaminaError) {
      // The client's to fix or retry, not the server's failure (refusals are counted by use-refusal-metrics).
      const clientSide = original.retriable || original.code === 'VALIDATION_FAILED' || original instanceof QueryLimitError;
      if (!clientSide) logger.error({ err: original }, 'graphql: request failed');
      return laminaGraphQLError(original);
    }
    // graphql-js's own findings about the request (a variable of the wrong type wraps the scalar's
    // GraphQLError) say what to fix: shown as they are, never masked as "Unexpected error.".
    if (error instanceof GraphQLError && (!error.originalError || error.originalError instanceof GraphQLError || error.message.startsWith('Variable "$'))) return error;
    logger.error({ err: original }, 'graphql: unexpected error');
    return new GraphQLError(message);
  };
}
