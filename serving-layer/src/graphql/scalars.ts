import { GraphQLScalarType, Kind } from 'graphql';
import { ValidationError, isoTimestamp } from '@lamina/shared';

function parseInstant(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new ValidationError(`DateTime must be an ISO-8601 string (e.g. "2026-01-01T00:00:00Z") or epoch milliseconds, got ${JSON.stringify(value)}`);
}

/** Instants travel as ISO strings, live as epoch milliseconds inside Lamina. */
export const DateTime = new GraphQLScalarType({
  name: 'DateTime',
  serialize: (value) => isoTimestamp(value as number),
  parseValue: parseInstant,
  parseLiteral(ast) {
    if (ast.kind === Kind.STRING) return parseInstant(ast.value);
    if (ast.kind === Kind.INT || ast.kind === Kind.FLOAT) return parseInstant(Number(ast.value));
    throw new ValidationError('DateTime literal must be a string or a number');
  },
});
