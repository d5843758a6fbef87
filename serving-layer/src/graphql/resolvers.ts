/**
 * Resolvers for the generated schema: arguments become a ViewQuery, the QueryService answers, and
 * each answer's freshness is recorded on the context for the `extensions.lamina` plugin.
 */
import type { GraphQLResolveInfo } from 'graphql';
import { ValidationError, type CompiledView, type GenerationManifest, type OrderBy, type ResultRow, type RollUp, type ViewQuery } from '@lamina/shared';
import type { Answer, AnswerMeta, QueryService } from '../query-service.js';
import type { LoadedGenerations } from '../loaded-generations.js';
import { graphqlFieldName as gqlName } from '@lamina/shared';
import { DateTime } from './scalars.js';

export interface LaminaContext {
  laminaAnswers?: Record<string, AnswerMeta>;
}

export interface ViewArgs {
  from?: number | null;
  to?: number | null;
  granularity: string;
  filter?: Record<string, (string | null)[] | null> | null;
  groupBy?: string[] | null;
  orderBy?: { field: string; direction: 'ASC' | 'DESC' }[] | null;
  limit?: number | null;
}

export interface ResolverDeps {
  queries: QueryService;
  generations: LoadedGenerations;
  runBatch?: (options: { full: boolean }) => Promise<{ manifest: GenerationManifest; durationMs: number }>;
}

export function toQuery(view: CompiledView, args: ViewArgs): { query: ViewQuery; orderBy: OrderBy[]; limit?: number } {
  const byGqlName = new Map(view.dimensions.map((d) => [gqlName(d), d]));
  const dim = (name: string) => byGqlName.get(name) ?? name;
  const filters: Record<string, (string | null)[]> = {};
  for (const [name, values] of Object.entries(args.filter ?? {})) if (values) filters[dim(name)] = values;
  const query: ViewQuery = { granularity: args.granularity.toLowerCase() as RollUp, filters };
  if (args.from != null) query.from = args.from;
  if (args.to != null) query.to = args.to;
  if (query.from !== undefined && query.to !== undefined && query.from >= query.to) throw new ValidationError('`from` must be before `to`');
  if (args.groupBy) query.groupBy = args.groupBy.map(dim);
  const orderBy = (args.orderBy ?? []).map((o) => ({ field: dim(o.field), direction: o.direction }));
  return { query, orderBy, ...(args.limit != null ? { limit: args.limit } : {}) };
}

function toRow(view: CompiledView, granularity: string, row: ResultRow): Record<string, unknown> {
  const out: Record<string, unknown> = { bucket: granularity === 'ALL' ? null : row.bucket };
  for (const [d, v] of Object.entries(row.dims)) out[gqlName(d)] = v;
  Object.assign(out, row.values);
  return out;
}

/** An answer as the view's GraphQL `<Type>Answer`. */
export function toAnswer(view: CompiledView, args: ViewArgs, answer: Answer) {
  return { rows: answer.rows.map((r) => toRow(view, args.granularity, r)), freshness: answer.meta };
}

export function buildResolvers(views: readonly CompiledView[], deps: ResolverDeps) {
  const query: Record<string, unknown> = {
    freshness: () => deps.queries.freshness(),
    generations: () =>
      deps.generations.list().map(({ manifest: m }) => ({
        generation: m.generation, createdAt: Date.parse(m.createdAt), events: m.events, quarantined: m.quarantined, watermark: m.watermark, watermarkTime: m.watermarkTime,
      })),
  };
  for (const view of views) {
    const answer = async (args: ViewArgs, context: LaminaContext, info: GraphQLResolveInfo) => {
      const { query: q, orderBy, limit } = toQuery(view, args);
      const result = await deps.queries.query(view.name, q, orderBy, limit);
      (context.laminaAnswers ??= {})[info.path.key as string] = result.meta;
      return toAnswer(view, args, result);
    };
    query[view.name] = async (_: unknown, args: ViewArgs, context: LaminaContext, info: GraphQLResolveInfo) => (await answer(args, context, info)).rows;
    query[`${view.name}WithFreshness`] = async (_: unknown, args: ViewArgs, context: LaminaContext, info: GraphQLResolveInfo) => answer(args, context, info);
  }
  return {
    DateTime,
    Query: query,
    Mutation: {
      runBatch: async (_: unknown, args: { full?: boolean | null }) => {
        if (!deps.runBatch) throw new ValidationError('runBatch is available in embedded mode only; in distributed mode run `lamina batch run`');
        const { manifest, durationMs } = await deps.runBatch({ full: args.full === true });
        return { generation: manifest.generation, mode: manifest.mode.toUpperCase(), events: manifest.events, quarantined: manifest.quarantined, lakeVersion: manifest.lakeVersion, watermark: manifest.watermark, durationMs };
      },
    },
  };
}
