/**
 * The GraphQL schema, generated from the declared views: one typed query field per view, so a
 * dashboard author sees the dimensions and measures of each view in GraphiQL.
 */
import type { CompiledView } from '@lamina/shared';
import { graphqlFieldName as gqlName, viewTypeName as typeName } from '@lamina/shared';

export const granularities = ['MINUTE', 'HOUR', 'DAY', 'WEEK', 'MONTH', 'ALL'] as const;

const common = /* GraphQL */ `
"""An instant, as an ISO-8601 string in UTC (input also accepts epoch milliseconds)."""
scalar DateTime

"""Time bucket size of the answer rows; must be the view's stored granularity or coarser."""
enum Granularity { ${granularities.join(' ')} }

enum Direction { ASC DESC }

"""How one log partition is covered by the realtime part of an answer."""
type PartitionCoverage {
  partition: Int!
  generation: Int!
  fromOffset: Float!
  toOffset: Float!
  highWatermark: Float!
  ready: Boolean!
  lastEventTime: DateTime
}

"""What an answer is made of: batch views of one generation plus the realtime state of that generation."""
type Freshness {
  generation: Int!
  "Per partition, the batch part covers log offsets [0, batchWatermark[p])."
  batchWatermark: [Float!]!
  "Log time of the newest event the batch part covers."
  batchWatermarkTime: DateTime
  "Records on the log that the realtime part has not folded yet."
  realtimeLagRecords: Float!
  realtimeLastEventTime: DateTime
  realtimeCaughtUp: Boolean!
  "Views whose definition is newer than this generation's batch part: they answer VIEW_INCOMPLETE until a batch run computes them."
  incompleteViews: [String!]!
  coverage: [PartitionCoverage!]!
}

type BatchRun {
  generation: Int!
  "FULL: every view from the whole lake; INCREMENTAL: only the event dates new events touched."
  mode: String!
  events: Float!
  quarantined: Float!
  lakeVersion: Int!
  watermark: [Float!]!
  durationMs: Float!
}

type GenerationInfo {
  generation: Int!
  createdAt: DateTime!
  events: Float!
  quarantined: Float!
  watermark: [Float!]!
  watermarkTime: DateTime
}
`;

/** The arguments of a view's query field; its WithFreshness field and its subscription take the same. */
export function viewArgsSdl(view: CompiledView): string {
  const t = typeName(view.name);
  const dims = view.dimensions.length > 0 ? `filter: ${t}Filter, groupBy: [${t}Dimension!], ` : '';
  return `from: DateTime, to: DateTime, granularity: Granularity = ALL, ${dims}orderBy: [${t}Order!], limit: Int`;
}

function viewSdl(view: CompiledView): string {
  const t = typeName(view.name);
  const dims = view.dimensions;
  const dimFields = dims.map((d) => `  ${gqlName(d)}: String`).join('\n');
  const measureFields = view.measures.map((m) => `  "${m.measure.kind}${m.field ? ` of ${m.field.path}` : ''}"\n  ${m.name}: Float`).join('\n');
  const dimensionEnum = dims.length > 0 ? `enum ${t}Dimension { ${dims.map(gqlName).join(' ')} }` : '';
  const filterInput = dims.length > 0 ? `input ${t}Filter {\n${dims.map((d) => `  ${gqlName(d)}: [String]`).join('\n')}\n}` : '';
  const orderFields = ['bucket', ...dims.map(gqlName), ...view.measures.map((m) => m.name)];
  const desc = (view.config.description ?? `View ${view.name}`).replace(/"/g, "'");
  return `
"""One row of view ${view.name}: a time bucket, the grouped dimensions and the measures."""
type ${t}Row {
  "Start of the time bucket; null for granularity ALL."
  bucket: DateTime
${dimFields}
${measureFields}
}
${dimensionEnum}
${filterInput}
enum ${t}OrderField { ${orderFields.join(' ')} }
input ${t}Order { field: ${t}OrderField!, direction: Direction = DESC }
extend type Query {
  """${desc}. Rows are exact: batch generation merged with realtime state; see extensions.lamina for freshness."""
  ${view.name}(
    "Inclusive start of the event-time range."
    from: DateTime
    "Exclusive end of the event-time range."
    to: DateTime
    granularity: Granularity = ALL
    ${dims.length > 0 ? `filter: ${t}Filter\n    "Dimensions to group by; default: all of the view's dimensions."\n    groupBy: [${t}Dimension!]` : ''}
    orderBy: [${t}Order!]
    limit: Int
  ): [${t}Row!]!
  """The same query, with the rows and the freshness of the answer together."""
  ${view.name}WithFreshness(${viewArgsSdl(view)}): ${t}Answer!
}
type ${t}Answer { rows: [${t}Row!]!, freshness: Freshness! }
`;
}


export function buildSdl(views: readonly CompiledView[]): string {
  return `${common}
type Query {
  "The generation the serving layer answers from now, with its freshness."
  freshness: Freshness!
  "Published generations this serving instance has loaded, newest first."
  generations: [GenerationInfo!]!
}
type Mutation {
  "Runs the batch layer now (embedded mode) and returns the generation it published; full: recompute every view from the whole lake."
  runBatch(full: Boolean = false): BatchRun!
}
${views.map(viewSdl).join('\n')}`;
}
