/**
 * The signal that ends a query's execution (its deadline or its client gone), where every view field
 * can see it: @graphql-tools/executor hands it to resolvers as `info.signal`, graphql-jit (which runs
 * queries) does not, so the deadline plugin also leaves it on the request's context.
 */
const EXECUTION_SIGNAL = Symbol('lamina.executionSignal');

export function setExecutionSignal(context: unknown, signal: AbortSignal): void {
  if (context !== null && typeof context === 'object') (context as Record<symbol, unknown>)[EXECUTION_SIGNAL] = signal;
}

export function executionSignal(context: unknown, info: unknown): AbortSignal | undefined {
  const fromContext = context !== null && typeof context === 'object' ? ((context as Record<symbol, unknown>)[EXECUTION_SIGNAL] as AbortSignal | undefined) : undefined;
  return fromContext ?? (info as { signal?: AbortSignal }).signal;
}
