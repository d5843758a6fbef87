/** GraphQL type names derived from view names: `pageviews` -> `Pageviews`, `Pageviews_Row` etc. */
export const typeName = (view: string): string => view.charAt(0).toUpperCase() + view.slice(1);

export const granularities = ['MINUTE', 'HOUR', 'DAY', 'WEEK', 'MONTH', 'ALL'] as const;
export type GraphQLGranularity = (typeof granularities)[number];
