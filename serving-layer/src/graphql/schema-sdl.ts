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

"""Conditions on a dimension's values; all given ones must hold (null is a missing value)."""
input StringFilter {
  eq: String
  in: [String]
  not: [String]
  "The value starts with this (never matches null)."
  prefix: String
}

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
  "True when the answer is not from a complete state (a speed instance is replaying): the last complete answer, or numbers that may still grow."
  stale: Boolean!
  "Views whose definition is newer than this generation's batch part: they answer VIEW_INCOMPLETE until a batch run computes them."
  incompleteViews: [String!]!
  coverage: [PartitionCoverage!]!
}

type BatchRun {
  generation: Int!
  "FULL: every view from the whole lake; INCREMENTAL: only the event dates new events touched."
  mode: String!
  events: Float!
  "Of those, later copies of an event that no view counts (deduplication)."
  duplicates: Float!
  quarantined: Float!
  lakeVersion: Int!
  watermark: [Float!]!
  durationMs: Float!
}

"A batch run of the run history (see docs/operations.md, 'Run history')."
type BatchRunRecord {
  id: String!
  "The generation the run computed (null until planned)."
  generation: Int
  "RUNNING, PUBLISHED, GATES_FAILED, FAILED or SKIPPED (another run held the lease)."
  status: String!
  trigger: String!
  startedAt: DateTime!
  finishedAt: DateTime
  mode: String
  steps: [BatchRunStep!]!
  rowsRead: Float!
  rowsWritten: Float!
  gates: [QualityGateResult!]!
  "The error that ended a failed run: CODE: message."
  error: String
}

type BatchRunStep {
  name: String!
  "RUNNING, SUCCEEDED or FAILED."
  status: String!
  startedAt: DateTime!
  durationMs: Float
  attempts: Int!
  "Work done of the total while it runs (and when it ended)."
  progressDone: Float
  progressTotal: Float
  progressUnit: String
}

type QualityGateResult {
  gate: String!
  "The declared check (freshness, volume, uniqueness, distribution, schema, referential); null for built-in gates."
  check: String
  "ERROR blocks publication; WARN is recorded and the generation published."
  severity: String!
  passed: Boolean!
  detail: String!
  value: Float
  "Failed, but published through after review (lamina batch run --waive)."
  waived: Boolean!
}

type GenerationInfo {
  generation: Int!
  createdAt: DateTime!
  events: Float!
  "Of those, later copies of an event that no view counts (deduplication)."
  duplicates: Float!
  quarantined: Float!
  watermark: [Float!]!
  watermarkTime: DateTime
}
`;

const TQ = '"'.repeat(3);

/** A GraphQL block description (the config's text cannot end it). */
function describe(text: string): string {
  return `${TQ}${text.replace(/"""/g, "'''")}${TQ}`;
}

/** The arguments of every field that answers a view query (query, with freshness, subscription). */
export function viewArgsSdl(view: CompiledView): string {
  const t = typeName(view.name);
  const dims = view.dimensions.length > 0;
  return `(
    "Inclusive start of the event-time range."
    from: DateTime
    "Exclusive end of the event-time range."
    to: DateTime
    granularity: Granularity = ALL
    "IANA time zone of hour, day, week and month buckets (e.g. 'Europe/Berlin'); default UTC."
    timeZone: String
    ${dims ? `"Per dimension, the values kept."\n    filter: ${t}Filter\n    "Dimensions to group by; default: all of the view's dimensions."\n    groupBy: [${t}Dimension!]` : ''}
    orderBy: [${t}Order!]
    "At most this many rows: a page (pass the answer's nextCursor as 'after' for the next one)."
    limit: Int
    "The cursor of the previous page (its nextCursor): the rows after it."
    after: String
    "The token an ingest answer returned: the answer waits (bounded) until it covers those events."
    consistentWith: String
  )`;
}

function viewSdl(view: CompiledView): string {
  const t = typeName(view.name);
  const dims = view.dimensions;
  const dimFields = view.dimensionFields.map((d) => `  ${describe(d.description ?? `dimension ${d.path}`)}\n  ${gqlName(d.path)}: String`).join('\n');
  const measureFields = view.measures
    .map((m) => `  ${describe(view.config.measures[m.name]?.description ?? `${m.measure.kind}${m.field ? ` of ${m.field.path}` : ''}`)}\n  ${m.name}: Float`)
    .join('\n');
  const dimensionEnum = dims.length > 0 ? `enum ${t}Dimension { ${dims.map(gqlName).join(' ')} }` : '';
  const filterInput = dims.length > 0 ? `input ${t}Filter {\n${dims.map((d) => `  ${gqlName(d)}: StringFilter`).join('\n')}\n}` : '';
  const orderFields = ['bucket', ...dims.map(gqlName), ...view.measures.map((m) => m.name)];
  const desc = view.config.description ?? `View ${view.name}`;
  return `
${describe(`One row of view ${view.name}: a time bucket, the grouped dimensions and the measures.`)}
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
  ${describe(`${desc}. Rows are exact: batch generation merged with realtime state; see extensions.lamina for freshness.`)}
  ${view.name}${viewArgsSdl(view)}: [${t}Row!]!
  ${describe('The same query, with the rows, the freshness of the answer and the cursor of the next page together.')}
  ${view.name}WithFreshness${viewArgsSdl(view)}: ${t}Answer!
}
type ${t}Answer {
  rows: [${t}Row!]!
  freshness: Freshness!
  "Pass as 'after' for the next page; null on the last page."
  nextCursor: String
}
`;
}

export function buildSdl(views: readonly CompiledView[]): string {
  return `${common}
type Query {
  "The generation the serving layer answers from now, with its freshness."
  freshness: Freshness!
  "Published generations this serving instance has loaded, newest first."
  generations: [GenerationInfo!]!
  "The newest batch runs, newest first: status, steps with durations and progress, rows, gate results."
  batchRuns(limit: Int = 10): [BatchRunRecord!]!
}
type Mutation {
  "Runs the batch layer now (embedded mode) and returns the generation it published; full: recompute every view from the whole lake."
  runBatch(full: Boolean = false): BatchRun!
}
${views.map(viewSdl).join('\n')}`;
}
