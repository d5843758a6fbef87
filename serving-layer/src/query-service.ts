/**
 * Answers a view query exactly: batch view of generation S merged with the realtime state of S,
 * where S is the newest generation whose batch views are loaded and whose realtime state covers
 * every partition exactly once (ready, when such a generation exists).
 */
import {
  CoverageError,
  ValidationError,
  ViewIncompleteError,
  accumulateRows,
  finishRows,
  mergeRolledRows,
  type CompiledView,
  type GroupRow,
  type LaminaConfig,
  type Logger,
  type OrderBy,
  type PartitionCoverage,
  type RealtimePart,
  type RealtimeSource,
  type ResultRow,
  type ViewQuery,
} from '@lamina/shared';
import { checkCoverage, describeCoverage, type CoverageVerdict } from './coverage-check.js';
import { rowsInRange, type LoadedGeneration, type LoadedGenerations } from './loaded-generations.js';

export interface AnswerMeta {
  generation: number;
  /** Batch coverage: offsets [0, watermark[p]) per partition. */
  batchWatermark: number[];
  batchWatermarkTime: number | null;
  /** Records on the log not yet folded, summed over partitions. */
  realtimeLagRecords: number;
  realtimeLastEventTime: number | null;
  /** False while the realtime state of the served generation is still replaying. */
  realtimeCaughtUp: boolean;
  /** Views this generation has no batch part for yet (added or changed since): they answer VIEW_INCOMPLETE. */
  incompleteViews: string[];
  coverage: PartitionCoverage[];
}

export interface Answer {
  rows: ResultRow[];
  meta: AnswerMeta;
}

export class QueryService {
  private readonly views: Map<string, CompiledView>;

  constructor(
    private readonly config: LaminaConfig,
    private readonly generations: LoadedGenerations,
    private readonly sources: readonly RealtimeSource[],
    private readonly logger: Logger,
  ) {
    this.views = new Map(generations.views.map((v) => [v.name, v]));
  }

  view(name: string): CompiledView {
    const view = this.views.get(name);
    if (!view) throw new ValidationError(`unknown view '${name}'`);
    return view;
  }

  async query(viewName: string, query: ViewQuery, orderBy: OrderBy[] = [], limit?: number): Promise<Answer> {
    const view = this.view(viewName);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new ValidationError(`limit must be a non-negative integer, got ${limit}`);
    // Usually the newest loaded generation is ready everywhere: ask for it directly, one round trip.
    // Only when it is not do we ask every instance for its status to choose (a second round trip).
    const newest = this.generations.list()[0]!;
    const direct = await this.attempt(view, newest, query);
    if (direct.verdict.ready) return this.answer(view, newest, direct, query, orderBy, limit);
    let lastProblem = describeCoverage(direct.verdict);
    for (let attempt = 0; attempt < 3; attempt++) {
      const generation = await this.chooseGeneration();
      const result = generation === newest && attempt === 0 ? direct : await this.attempt(view, generation, query);
      if (!result.verdict.complete) {
        // The speed layer moved on (new generation, rebalance) between status and query: choose again.
        lastProblem = describeCoverage(result.verdict);
        this.logger.debug({ attempt, problem: lastProblem }, 'serving: realtime coverage changed, retrying');
        continue;
      }
      return this.answer(view, generation, result, query, orderBy, limit);
    }
    throw new CoverageError(`cannot answer exactly right now: ${lastProblem}. Check that every speed instance is up (LAMINA_SPEED_URLS) and retry.`);
  }

  private async attempt(view: CompiledView, generation: LoadedGeneration, query: ViewQuery): Promise<{ parts: RealtimePart[]; coverage: PartitionCoverage[]; verdict: CoverageVerdict }> {
    const g = generation.manifest.generation;
    const parts = await Promise.all(this.sources.map((s) => s.query({ generation: g, view: view.name, fingerprint: view.fingerprint, query })));
    const coverage = parts.flatMap((p) => p.coverage);
    return { parts, coverage, verdict: checkCoverage(coverage, g, this.config.partitions) };
  }

  private answer(view: CompiledView, generation: LoadedGeneration, result: { parts: RealtimePart[]; coverage: PartitionCoverage[]; verdict: CoverageVerdict }, query: ViewQuery, orderBy: OrderBy[], limit?: number): Answer {
    if (generation.incomplete.has(view.name)) {
      throw new ViewIncompleteError(
        `view '${view.name}' was added or changed after generation ${generation.manifest.generation} was computed, so that generation has no batch part for it and an answer would be short; ` +
          'it is complete once a batch run publishes a generation with it (embedded mode starts one at once; otherwise run `lamina batch run`)',
      );
    }
    return { rows: this.merge(view, generation, result.parts, query, orderBy, limit), meta: this.meta(generation, result.coverage, result.verdict.ready) };
  }

  private merge(view: CompiledView, generation: LoadedGeneration, parts: RealtimePart[], query: ViewQuery, orderBy: OrderBy[], limit?: number): ResultRow[] {
    const target = new Map<string, GroupRow>();
    accumulateRows(view, rowsInRange(generation.views.get(view.name) ?? [], query.from, query.to), query, target);
    for (const part of parts) mergeRolledRows(view, part.rows, target);
    return finishRows(view, query, target.values(), orderBy, limit);
  }

  private meta(generation: LoadedGeneration, coverage: PartitionCoverage[], ready: boolean): AnswerMeta {
    const sorted = [...coverage].sort((a, b) => a.partition - b.partition);
    const times = sorted.map((c) => c.lastEventTime).filter((t): t is number => t !== null);
    return {
      generation: generation.manifest.generation,
      batchWatermark: generation.manifest.watermark,
      batchWatermarkTime: generation.manifest.watermarkTime,
      realtimeLagRecords: sorted.reduce((sum, c) => sum + Math.max(0, c.highWatermark - c.toOffset), 0),
      realtimeLastEventTime: times.length > 0 ? Math.max(...times) : null,
      realtimeCaughtUp: ready,
      incompleteViews: [...generation.incomplete].sort(),
      coverage: sorted,
    };
  }

  /** Freshness of what a query would be answered from right now. */
  async freshness(): Promise<AnswerMeta> {
    const generation = await this.chooseGeneration();
    const g = generation.manifest.generation;
    const statuses = await Promise.all(this.sources.map((s) => s.status()));
    const coverage = statuses.flatMap((s) => s.generations.filter((x) => x.generation === g).flatMap((x) => x.partitions));
    return this.meta(generation, coverage, checkCoverage(coverage, g, this.config.partitions).ready);
  }

  /** Newest loaded generation that the realtime side covers exactly once and is ready on; else newest covered. */
  async chooseGeneration(): Promise<LoadedGeneration> {
    const statuses = await Promise.all(this.sources.map((s) => s.status()));
    const loaded = this.generations.list();
    let covered: LoadedGeneration | undefined;
    for (const candidate of loaded) {
      const g = candidate.manifest.generation;
      const coverage = statuses.flatMap((s) => s.generations.filter((x) => x.generation === g).flatMap((x) => x.partitions));
      const verdict = checkCoverage(coverage, g, this.config.partitions);
      if (verdict.ready) return candidate;
      if (verdict.complete) covered ??= candidate;
    }
    if (covered) return covered;
    const newest = loaded[0]!;
    return newest;
  }
}
