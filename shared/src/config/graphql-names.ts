/**
 * The names the GraphQL API gives what a config declares — one definition, used by the schema the
 * serving layer builds and by config validation, so a clash is refused at start with the name that
 * clashes instead of crashing the server or failing every batch.
 *
 *   view v (dimension d, measure m) → query fields `v` and `vWithFreshness`, subscription field `v`,
 *   types `VRow` (fields `bucket`, d, m), `VDimension`, `VFilter`, `VOrderField`, `VOrder`, `VAnswer`;
 *   a dimension path a.b is the field a__b (its lake column).
 */
import { columnOf } from '../events/field-paths.js';
import type { LaminaConfig } from './schema.js';

/** Query (and subscription) fields the API has whatever the config. */
const BUILTIN_FIELDS = ['freshness', 'generations', 'runBatch'];
/** Types the API (and GraphQL itself) defines whatever the config. */
const BUILTIN_TYPES = [
  'Query', 'Mutation', 'Subscription', 'String', 'Int', 'Float', 'Boolean', 'ID',
  'DateTime', 'Granularity', 'Direction', 'PartitionCoverage', 'Freshness', 'BatchRun', 'GenerationInfo', 'StringFilter',
];
/** Fields every row type has besides the view's dimensions and measures. */
export const ROW_BUILTIN_FIELDS = ['bucket'];

export const viewTypeName = (view: string): string => view.charAt(0).toUpperCase() + view.slice(1);

/** The GraphQL field name of a dimension path (`geo.country` -> `geo__country`). */
export const graphqlFieldName = columnOf;

export function viewTypeNames(view: string): string[] {
  const t = viewTypeName(view);
  return [`${t}Row`, `${t}Dimension`, `${t}Filter`, `${t}OrderField`, `${t}Order`, `${t}Answer`];
}

export function viewQueryFields(view: string): string[] {
  return [view, `${view}WithFreshness`];
}

/** Every clash between generated names (case-insensitive: clients and tools often fold case). */
export function graphqlNameClashes(config: LaminaConfig): string[] {
  const problems: string[] = [];
  const claim = (space: Map<string, string>, name: string, owner: string) => {
    const other = space.get(name.toLowerCase());
    if (other !== undefined) problems.push(`${owner} would be named '${name}' in GraphQL, which clashes with ${other}; rename one of them`);
    else space.set(name.toLowerCase(), owner);
  };
  const fields = new Map<string, string>(BUILTIN_FIELDS.map((f) => [f.toLowerCase(), `the built-in field '${f}'`]));
  const types = new Map<string, string>(BUILTIN_TYPES.map((t) => [t.toLowerCase(), `the built-in type '${t}'`]));
  for (const [name, view] of Object.entries(config.views)) {
    for (const field of viewQueryFields(name)) claim(fields, field, `views.${name}`);
    for (const type of viewTypeNames(name)) claim(types, type, `views.${name}`);
    const row = new Map<string, string>(ROW_BUILTIN_FIELDS.map((f) => [f.toLowerCase(), `the built-in row field '${f}'`]));
    view.dimensions.forEach((d, i) => claim(row, graphqlFieldName(d), `views.${name}.dimensions.${i}`));
    for (const m of Object.keys(view.measures)) claim(row, m, `views.${name}.measures.${m}`);
  }
  return problems;
}
