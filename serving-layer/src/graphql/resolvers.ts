/**
 * Resolvers for the generated schema: arguments become a ViewQuery (with the measures the request
 * selects), the QueryService answers, and each answer's freshness is recorded on the context for the
 * `extensions.lamina` plugin.
 */
import type { GraphQLResolveInfo } from 'graphql';
import { LaminaError, ValidationError, graphqlFieldName as gqlName, type CompiledView, type DimensionFilter, type GenerationManifest, type RunHistory, type RunRecord, type OrderBy, type ResultRow, type RollUp, type ViewQuery, TimeSlice } from '@lamina/shared';
import type { Answer, AnswerMeta, QueryService } from '../query-service.js';
import type { LoadedGenerations } from '../loaded-generations.js';
import { DateTime } from './scalars.js';
import { requestedRowFields } from './requested-fields.js';
import { decodeCursor, encodeCursor } from './cursor.js';

export interface LaminaContext {
  laminaAnswers?: Record<string, AnswerMeta>;
}

interface StringFilterArg {
  eq?: string | null;
  in?: (string | null)[] | null;
  not?: (string | null)[] | null;
  prefix?: string | null;
}

export interface ViewArgs {
  from?: number | null;
  to?: number | null;
  granularity: string;
  timeZone?: string | null;
  filter?: Record<string, StringFilterArg | null> | null;
  groupBy?: string[] | null;
  orderBy?: { field: string; direction: 'ASC' | 'DESC' }[] | null;
  limit?: number | null;
  after?: string | null;
  consistentWith?: string | null;
}

export interface ResolverDeps {
  queries: QueryService;
  generations: LoadedGenerations;
  history: RunHistory;
  runBatch?: (options: { full: boolean }) => Promise<{ manifest: GenerationManifest; durationMs: number }>;
}

function toFilter(arg: StringFilterArg): DimensionFilter {
  const filter: DimensionFilter = {};
  if (arg.eq !== undefined) filter.in = [arg.eq];
  if (arg.in != null) filter.in = filter.in ? filter.in.filter((v) => arg.in!.includes(v)) : arg.in;
  if (arg.not != null) filter.not = arg.not;
  if (arg.prefix != null) filter.prefix = arg.prefix;
  return filter;
}

/** The query, its order and page, from the field's arguments and the row fields it selects. */
export function toViewQuery(view: CompiledView, args: ViewArgs, requested: ReadonlySet<string>) {
  const byGqlName = new Map(view.dimensions.map((d) => [gqlName(d), d]));
  const dim = (name: string) => byGqlName.get(name) ?? name;
  const filters: Record<string, DimensionFilter> = {};
  for (const [name, filter] of Object.entries(args.filter ?? {})) if (filter) filters[dim(name)] = toFilter(filter);
  const orderBy: OrderBy[] = (args.orderBy ?? []).map((o) => ({ field: dim(o.field), direction: o.direction }));
  const measures = view.measures.map((m) => m.name).filter((name) => requested.has(name) || orderBy.some((o) => o.field === name));
  const query: ViewQuery = { granularity: args.granularity.toLowerCase() as RollUp, filters, measures };
  if (args.from != null) query.from = args.from;
  if (args.to != null) query.to = args.to;
  if (query.from !== undefined && query.to !== undefined && query.from >= query.to) throw new ValidationError('`from` must be before `to`');
  if (args.timeZone != null) query.timeZone = args.timeZone;
  if (args.groupBy) query.groupBy = args.groupBy.map(dim);
  const page = { offset: args.after != null ? decodeCursor(args.after) : 0, ...(args.limit != null ? { limit: args.limit } : {}) };
  return { query, orderBy, page, ...(args.consistentWith != null ? { consistentWith: args.consistentWith } : {}) };
}

/**
 * A measure whose value left the range of a double (a sum past ±1.8e308): GraphQL's Float cannot
 * carry it, and a null would read as "no data". Ingest refuses numbers past ±2^53, so only events
 * archived before that bound can cause it.
 */
export class MeasureOverflowError extends LaminaError {
  constructor(view: string, measure: string, groups: number, example: Record<string, string | null>) {
    super(
      'MEASURE_OVERFLOW',
      `measure '${measure}' of view '${view}' overflowed the range of a double in ${groups} group(s) (e.g. ${JSON.stringify(example)}); leave that measure out or filter those groups`,
    );
  }
}

/**
 * Result rows as GraphQL objects; dimension names are mapped once per answer, not once per row. Taking
 * turns (fifteen thousand rows are 10–20 ms of work).
 */
async function toRows(view: string, granularity: string, rows: readonly ResultRow[]): Promise<Record<string, unknown>[]> {
  const names = new Map<string, string>();
  const all = granularity === 'ALL';
  let overflow: { measure: string; groups: number; example: Record<string, string | null> } | undefined;
  const slice = new TimeSlice();
  const out = new Array<Record<string, unknown>>(rows.length);
  // One pass: the rows are built and checked for values a Float cannot carry together.
  for (let r = 0; r < rows.length; r++) {
    if (slice.due()) await slice.take();
    const row = rows[r]!;
    const o: Record<string, unknown> = { bucket: all ? null : row.bucket };
    for (const d in row.dims) {
      let name = names.get(d);
      if (name === undefined) names.set(d, (name = gqlName(d)));
      o[name] = row.dims[d];
    }
    for (const m in row.values) {
      const v = row.values[m];
      if (typeof v === 'number' && !Number.isFinite(v)) {
        if (overflow) overflow.groups++;
        else overflow = { measure: m, groups: 1, example: row.dims };
        break;
      }
    }
    Object.assign(o, row.values);
    out[r] = o;
  }
  if (overflow) throw new MeasureOverflowError(view, overflow.measure, overflow.groups, overflow.example);
  return out;
}

/** Answers one view field: the query service's answer, recorded for extensions.lamina. */
export async function answerView(queries: QueryService, view: CompiledView, args: ViewArgs, requested: ReadonlySet<string>): Promise<{ answer: Answer; rows: Record<string, unknown>[]; nextCursor: string | null }> {
  const { query, orderBy, page, consistentWith } = toViewQuery(view, args, requested);
  const answer = await queries.query(view.name, query, orderBy, page.limit, { offset: page.offset, ...(consistentWith ? { consistentWith } : {}) });
  const nextCursor = answer.hasMore ? encodeCursor(page.offset + answer.rows.length) : null;
  return { answer, rows: await toRows(view.name, args.granularity, answer.rows), nextCursor };
}

export function buildResolvers(views: readonly CompiledView[], deps: ResolverDeps) {
  const query: Record<string, unknown> = {
    freshness: () => deps.queries.freshness(),
    batchRuns: async (_: unknown, args: { limit: number }) => {
      if (!Number.isInteger(args.limit) || args.limit < 1 || args.limit > 1000) throw new ValidationError(`limit must be between 1 and 1000, got ${args.limit}`);
      return (await deps.history.recent(args.limit)).map(toRunRecord);
    },
    generations: () =>
      deps.generations.list().map(({ manifest: m }) => ({
        generation: m.generation, createdAt: Date.parse(m.createdAt), events: m.events, duplicates: m.duplicates ?? 0, quarantined: m.quarantined, watermark: m.watermark, watermarkTime: m.watermarkTime,
      })),
  };
  for (const view of views) {
    const record = (context: LaminaContext, info: GraphQLResolveInfo, meta: AnswerMeta) => ((context.laminaAnswers ??= {})[info.path.key as string] = meta);
    query[view.name] = async (_: unknown, args: ViewArgs, context: LaminaContext, info: GraphQLResolveInfo) => {
      const { answer, rows } = await answerView(deps.queries, view, args, requestedRowFields(info));
      record(context, info, answer.meta);
      return rows;
    };
    query[`${view.name}WithFreshness`] = async (_: unknown, args: ViewArgs, context: LaminaContext, info: GraphQLResolveInfo) => {
      const { answer, rows, nextCursor } = await answerView(deps.queries, view, args, requestedRowFields(info, 'rows'));
      record(context, info, answer.meta);
      return { rows, freshness: answer.meta, nextCursor };
    };
  }
  return {
    DateTime,
    Query: query,
    Mutation: {
      runBatch: async (_: unknown, args: { full?: boolean | null }) => {
        if (!deps.runBatch) throw new ValidationError('runBatch is available in embedded mode only; in distributed mode run `lamina batch run`');
        const { manifest, durationMs } = await deps.runBatch({ full: args.full === true });
        return { generation: manifest.generation, mode: manifest.mode.toUpperCase(), events: manifest.events, duplicates: manifest.duplicates ?? 0, quarantined: manifest.quarantined, lakeVersion: manifest.lakeVersion, watermark: manifest.watermark, durationMs };
      },
    },
  };
}

function toRunRecord(run: RunRecord) {
  return {
    ...run,
    status: run.status.toUpperCase(),
    startedAt: Date.parse(run.startedAt),
    finishedAt: run.finishedAt === null ? null : Date.parse(run.finishedAt),
    mode: run.mode?.toUpperCase() ?? null,
    error: run.error ? `${run.error.code}: ${run.error.message}` : null,
    steps: run.steps.map((s) => ({
      name: s.name, status: s.status.toUpperCase(), startedAt: Date.parse(s.startedAt), durationMs: s.ms, attempts: s.attempts,
      progressDone: s.progress?.done ?? null, progressTotal: s.progress?.total ?? null, progressUnit: s.progress?.unit ?? null,
    })),
    gates: run.gates.map((g) => ({ ...g, check: g.check ?? null, severity: (g.severity ?? 'error').toUpperCase(), value: g.value ?? null, waived: g.waived === true })),
  };
}
