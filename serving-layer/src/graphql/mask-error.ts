import { GraphQLError } from 'graphql';
import { LaminaError, type Logger } from '@lamina/shared';

/**
 * Lamina's own errors carry actionable messages, so clients see them (with code and retriable);
 * anything else stays masked, as graphql-yoga does by default, and is logged for the operator.
 */
export function createMaskError(logger: Logger): (error: unknown, message: string) => Error {
  return (error, message) => {
    const original = error instanceof GraphQLError ? error.originalError : error;
    if (original instanceof LaminaError) {
      if (!(original.retriable || original.code === 'VALIDATION_FAILED')) logger.error({ err: original }, 'graphql: request failed');
      return new GraphQLError(original.message, { extensions: { code: original.code, retriable: original.retriable } });
    }
    if (error instanceof GraphQLError && !error.originalError) return error;
    logger.error({ err: original }, 'graphql: unexpected error');
    return new GraphQLError(message);
  };
}
