/**
 * A GraphQL subscription from the browser: graphql-yoga's SSE transport through EventSource (a GET
 * with the query in the URL). EventSource reconnects by itself after a network error, and the server
 * answers at once on a new subscription, so a restarted server resumes the dashboard on its own.
 */
import type { LiveRequest } from './live-documents.js';

export interface GraphQLProblem {
  message: string;
  extensions?: { code?: string; retriable?: boolean };
}

export interface LiveHandlers<T> {
  data(data: T): void;
  problem(errors: GraphQLProblem[]): void;
  /** The connection dropped (EventSource retries) or came back. */
  connection(open: boolean): void;
}

/** Starts the subscription; returns the function that stops it. */
export function liveQuery<T>(request: LiveRequest, handlers: LiveHandlers<T>): () => void {
  const url = new URL('/graphql', window.location.href);
  url.searchParams.set('query', request.query);
  url.searchParams.set('variables', JSON.stringify(request.variables));
  // A server that requires read keys: open the dashboard as /#key=<read key>. EventSource cannot send
  // headers, so the key goes in the stream's URL; the fragment itself never leaves the browser.
  const key = new URLSearchParams(window.location.hash.slice(1)).get('key');
  if (key) url.searchParams.set('key', key);
  const source = new EventSource(url);
  source.addEventListener('open', () => handlers.connection(true));
  source.addEventListener('error', () => handlers.connection(false));
  source.addEventListener('next', (event) => {
    const result = JSON.parse((event as MessageEvent<string>).data) as { data?: T | null; errors?: GraphQLProblem[] };
    if (result.errors?.length) handlers.problem(result.errors);
    if (result.data) handlers.data(result.data);
  });
  // The server ended the stream (an error asking again cannot fix): do not let EventSource reconnect.
  source.addEventListener('complete', () => source.close());
  return () => source.close();
}
