/**
 * Resolvers of the Subscription type: each field streams live answers of its view (see
 * live/live-answer.ts); an error event is thrown in `resolve`, so it reaches the client as a
 * GraphQL error with its code (through the same error masking as queries) and the stream goes on.
 */
import { gauge, type CompiledView, type Logger, type Registry } from '@lamina/shared';
import type { QueryService } from '../query-service.js';
import { FreshnessFeed } from '../live/freshness-feed.js';
import { liveAnswer, type LiveEvent } from '../live/live-answer.js';
import type { GraphQLResolveInfo } from 'graphql';
import { answerView, type ViewArgs } from './resolvers.js';
import { requestedRowFields } from './requested-fields.js';

export interface SubscriptionOptions {
  queries: QueryService;
  registry: Registry;
  logger: Logger;
  /** How often the shared poller reads the freshness while any subscription is open; default 250 ms. */
  pollMs?: number;
  /** The least time between two events of one subscription; default 1000 ms. */
  minIntervalMs?: number;
}

export function buildSubscriptionResolvers(views: readonly CompiledView[], options: SubscriptionOptions) {
  const feed = new FreshnessFeed(() => options.queries.freshness(), options.pollMs ?? 250, options.logger);
  const open = gauge(options.registry, 'lamina_graphql_subscriptions', 'Live GraphQL subscriptions (SSE streams) open now');
  const Subscription: Record<string, unknown> = {};
  for (const view of views) {
    Subscription[view.name] = {
      subscribe: (_: unknown, args: ViewArgs, _context: unknown, info: GraphQLResolveInfo) =>
        liveAnswer(
          () => answerView(options.queries, view, args, requestedRowFields(info, 'rows')),
          { feed, minIntervalMs: options.minIntervalMs ?? 1000, onOpen: () => open.inc(), onClose: () => open.dec() },
        ),
      resolve: (event: LiveEvent<Awaited<ReturnType<typeof answerView>>>) => {
        if ('error' in event) throw event.error;
        return { rows: event.answer.rows, freshness: event.answer.answer.meta, nextCursor: event.answer.nextCursor };
      },
    };
  }
  return { Subscription };
}
