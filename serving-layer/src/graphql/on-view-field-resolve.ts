/**
 * A hook around the resolvers of the view fields (`v`, `vWithFreshness` on Query; `v` on Subscription,
 * where it runs for each event), built on envelop's useOnResolve. Only Lamina's own resolvers are
 * wrapped: a row's fields keep the default resolver.
 */
import { useOnResolve, type OnResolve } from '@envelop/on-resolve';
import type { Plugin, YogaInitialContext } from 'graphql-yoga';

export function useOnViewFieldResolve(viewFields: ReadonlySet<string>, onResolve: OnResolve<YogaInitialContext>): Plugin {
  return useOnResolve<YogaInitialContext>(
    (options) => {
      const { info } = options;
      const root = info.parentType === info.schema.getQueryType() || info.parentType === info.schema.getSubscriptionType();
      if (!root || !viewFields.has(info.fieldName)) return;
      return onResolve(options);
    },
    { skipDefaultResolvers: true, skipIntrospection: true },
  );
}
