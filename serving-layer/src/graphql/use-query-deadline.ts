/**
 * A deadline for each query's execution. Past it the execution is aborted through its signal
 * (@graphql-tools/executor stops resolving and rejects with the signal's reason) and the request
 * answers QUERY_TIMEOUT (retriable) instead of holding the connection. A view field already being
 * merged is not interrupted (JavaScript cannot stop synchronous code); the ones not started yet never
 * start (use-view-field-turns.ts). Mutations (runBatch) are not queries and keep their own deadlines.
 */
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '@lamina/shared';
import { QueryTimeoutError } from './query-limit-errors.js';
import { setExecutionSignal } from './execution-signal.js';

export function useQueryDeadline(timeoutMs: number, logger: Logger): Plugin {
  return {
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn(async (args) => {
        if (getOperationAST(args.document, args.operationName)?.operation !== 'query') return executeFn(args);
        const deadline = new AbortController();
        const timer = setTimeout(() => {
          logger.warn({ operationName: args.operationName, timeoutMs }, 'graphql: query timed out (serving.limits.queryTimeoutMs)');
          deadline.abort(new QueryTimeoutError(timeoutMs));
        }, timeoutMs);
        // The client's own cancellation (a closed connection, useExecutionCancellation) aborts it too —
        // forwarded by a listener: AbortSignal.any costs more than a cached answer (profiled).
        const upstream = (args as { signal?: AbortSignal }).signal;
        const forward = () => deadline.abort(upstream!.reason);
        if (upstream?.aborted) forward();
        else upstream?.addEventListener('abort', forward, { once: true });
        setExecutionSignal(args.contextValue, deadline.signal);
        // Raced, not only signalled: graphql-jit does not stop on the signal, so the answer cannot wait for it.
        let onAbort: (() => void) | undefined;
        const aborted = new Promise<never>((_, reject) => {
          onAbort = () => reject(deadline.signal.reason);
          deadline.signal.addEventListener('abort', onAbort, { once: true });
        });
        try {
          return await Promise.race([executeFn({ ...args, signal: deadline.signal } as typeof args), aborted]);
        } finally {
          deadline.signal.removeEventListener('abort', onAbort!);
          clearTimeout(timer);
          upstream?.removeEventListener('abort', forward);
        }
      });
    },
  };
}
