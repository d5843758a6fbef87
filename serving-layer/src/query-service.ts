/**
 * Answers a view query exactly: batch view of generation S merged with the realtime state of S,
 * where S is the newest generation whose batch views are loaded and whose realtime state covers
 * every partition exactly once (ready, when such a generation exists).
 */
import {
  CoverageError,
  NotYetVisibleError,
  ValidationError,
  parseIngestToken,
  type IngestToken,
  ViewIncompleteError,
  coverageVersion,
  measureIndexes,
  planQuery,
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
  counter,
  collectedGauge,
  histogram,
  type Registry
} from '@lamina/shared';
import { checkCoverage, describeCoverage, type CoverageVerdict } from './coverage-check.js';
import type { GrainTable, LoadedGeneration, LoadedGenerations } from './loaded-generations.js';
import { BatchPartCache, type BatchPart } from './store/batch-part-cache.js';
import { ByteLru, resultRowsBytes } from './store/byte-lru.js';
import { chooseGrain } from './store/grain-choice.js';
import { scanChunks } from './store/batch-scan.js';
import { ScannedGroups } from './store/scanned-groups.js';
import { AnswerRows, type RowWindow } from './answer-rows.js';
import type { Dictionaries } from './store/dimension-dictionary.js';

/** Batch parts computed ahead on a new generation (see QueryService.warm), and the time that may take. */
const WARM_QUERIES = 8;
const WARM_BUDGET_MS = 3_000;

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
  /**
   * The answer is not from a complete state: the realtime part is still replaying (a speed instance
   * restarted, a rebalance). It is then the last complete answer to the same query, or — if there
   * is none — the numbers so far, which may still grow. Never a silent drop.
   */
  stale: boolean;
  coverage: PartitionCoverage[];
}

export interface Answer {
  rows: ResultRow[];
  meta: AnswerMeta;
  /** More rows follow this page (see QueryPage). */
  hasMore: boolean;
}

export interface QueryPage {
  /** Rows to skip in the answer's order (a cursor's position). */
  offset?: number;
  /** An ingest token: answer only once the events it names are covered (waits up to consistencyWaitMs). */
  consistentWith?: string;
}


interface CachedAnswer {
  /** Per source (the order of `sources`): the coverage version of its part. */
  versions: string[];
  parts: RealtimePart[];
  rows: { rows: ResultRow[]; total: number };
}

interface Attempt {
  parts: RealtimePart[];
  coverage: PartitionCoverage[];
  verdict: CoverageVerdict;
}

export class QueryService {
  private readonly views: Map<string, CompiledView>;
  private readonly batchParts: BatchPartCache;
  /** The last answer from a complete state, per query: what a replaying state answers instead. */
  private readonly lastComplete: ByteLru<Answer>;
  /**
   * The newest ordered answer (or page) per (query, generation), with the realtime parts it was made
   * of and their coverage versions: while a speed instance's state stays at its version, it answers
   * `unchanged` and its part is reused; while all do, so are the rows. A dashboard polling an idle view.
   */
  private readonly results: ByteLru<CachedAnswer>;
  /** The (view, query) of the batch parts asked for most recently, newest last: what warm() computes ahead. */
  private readonly recentParts = new Map<string, { view: CompiledView; query: ViewQuery }>();
  /** Late sketch states of a page's groups, per batch part (see answer-rows.ts). */
  private readonly lateGroups = new Map<string, Map<string, GroupRow | null>>();
  private readonly answerRows: AnswerRows;

  constructor(
    private readonly config: LaminaConfig,
    private readonly generations: LoadedGenerations,
    private readonly sources: readonly RealtimeSource[],
    private readonly logger: Logger,
    private readonly dictionaries: Dictionaries,
    registry: Registry,
    private readonly cachedAnswers = 128,
    private readonly consistencyWaitMs = 5_000,
    answerCacheBytes = 64 * 2 ** 20,
  ) {
    this.views = new Map(generations.views.map((v) => [v.name, v]));
    // One budget, split: the batch parts (merged sketch states, what a dashboard's next poll reuses)
    // take three quarters; the finished answers and the last complete ones an eighth each.
    this.batchParts = new BatchPartCache(cachedAnswers, (answerCacheBytes * 3) / 4);
    this.results = new ByteLru(cachedAnswers, answerCacheBytes / 8);
    this.lastComplete = new ByteLru(256, answerCacheBytes / 8);
    this.answerRows = new AnswerRows({
      dictionaries,
      batchPart: (view, generation, query) => this.batchPart(view, generation, query),
      batchGroups: (view, generation, query, only) => this.batchGroups(view, generation, query, only),
    });
    if (cachedAnswers > 0) generations.onBeforeServing((generation) => this.warm(generation));
    this.metrics = {
      scanned: counter(registry, 'lamina_serving_rows_scanned_total', 'Batch view rows scanned to answer queries, by the grain read (cached answers scan none)', ['grain']),
      stale: counter(registry, 'lamina_serving_stale_answers_total', 'Answers given from the last complete state while the realtime part replays'),
      unasked: counter(registry, 'lamina_serving_unasked_answers_total', 'Cached answers served without a call to the speed instances (their pushed status matched)'),
      seconds: histogram(registry, 'lamina_serving_query_seconds', 'Time to answer one view query (cached or not), by view', ['view'], [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10]),
    };
    // Age of the generation answers come from, read at scrape time.
    collectedGauge(registry, 'lamina_serving_generation_age_seconds', 'Seconds since the newest loaded generation was published (the batch part of answers is this old)', [], (age) => {
      const newest = this.generations.list()[0];
      if (newest && newest.manifest.generation > 0) age.set((Date.now() - Date.parse(newest.manifest.createdAt)) / 1000);
    });
  }

  private readonly metrics;

  view(name: string): CompiledView {
    const view = this.views.get(name);
    if (!view) throw new ValidationError(`unknown view '${name}'`);
    return view;
  }

  async query(viewName: string, query: ViewQuery, orderBy: OrderBy[] = [], limit?: number, page: QueryPage = {}): Promise<Answer> {
    const stop = this.metrics.seconds.startTimer({ view: viewName });
    try {
      return await this.answerQuery(viewName, query, orderBy, limit, page);
    } finally {
      stop();
    }
  }

  private async answerQuery(viewName: string, query: ViewQuery, orderBy: OrderBy[], limit: number | undefined, page: QueryPage): Promise<Answer> {
    const view = this.view(viewName);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new ValidationError(`limit must be a non-negative integer, got ${limit}`);
    planQuery(view, query);
    if (page.consistentWith !== undefined) await this.waitFor(parseIngestToken(page.consistentWith));
    const offset = page.offset ?? 0;
    if (limit !== undefined) return this.exactAnswer(view, query, orderBy, { offset, limit });
    const answer = await this.exactAnswer(view, query, orderBy);
    return offset > 0 ? { ...answer, rows: answer.rows.slice(offset), hasMore: false } : answer;
  }

  /** The ordered answer (a window of it); a replaying realtime state answers with the last complete answer, flagged. */
  private async exactAnswer(view: CompiledView, query: ViewQuery, orderBy: OrderBy[], window?: RowWindow): Promise<Answer> {
    const key = JSON.stringify([view.name, query, orderBy, window]);
    const answer = await this.answerFromLog(view, query, orderBy, window);
    if (!answer.meta.stale) {
      this.lastComplete.set(key, answer, answerBytes(view, answer.rows.length));
      return answer;
    }
    this.metrics.stale.inc();
    const last = this.lastComplete.get(key);
    return last ? { ...last, meta: { ...last.meta, stale: true } } : answer;
  }

  private async answerFromLog(view: CompiledView, query: ViewQuery, orderBy: OrderBy[], window?: RowWindow): Promise<Answer> {
    // Usually the newest loaded generation is ready everywhere: ask for it directly, one round trip.
    // Only when it is not do we ask every instance for its status to choose (a second round trip).
    const newest = this.generations.list()[0]!;
    const cacheKey = (generation: LoadedGeneration) => JSON.stringify([view.name, query, orderBy, window, generation.manifest.generation]);
    const unasked = this.cachedUnasked(view, newest, cacheKey(newest), window);
    if (unasked) return unasked;
    const direct = await this.attempt(view, newest, query, this.results.get(cacheKey(newest)));
    if (direct.verdict.ready) return this.answer(view, newest, direct, query, orderBy, cacheKey(newest), window);
    let lastProblem = describeCoverage(direct.verdict);
    for (let attempt = 0; attempt < 3; attempt++) {
      const generation = await this.chooseGeneration();
      const result = generation === newest && attempt === 0 ? direct : await this.attempt(view, generation, query, this.results.get(cacheKey(generation)));
      if (!result.verdict.complete) {
        // The speed layer moved on (new generation, rebalance) between status and query: choose again.
        lastProblem = describeCoverage(result.verdict);
        this.logger.debug({ attempt, problem: lastProblem }, 'serving: realtime coverage changed, retrying');
        continue;
      }
      return this.answer(view, generation, result, query, orderBy, cacheKey(generation), window);
    }
    throw new CoverageError(`cannot answer exactly right now: ${lastProblem}. Check that every speed instance is up (LAMINA_SPEED_URLS) and retry.`);
  }

  /**
   * The cached answer, without asking the speed instances, when every one of them pushed its status a
   * moment ago (knownStatus) and that status is still at the cached answer's realtime version, ready.
   */
  private cachedUnasked(view: CompiledView, generation: LoadedGeneration, key: string, window?: RowWindow): Answer | undefined {
    const cached = this.results.get(key);
    if (!cached || generation.incomplete.has(view.name)) return undefined;
    const g = generation.manifest.generation;
    const coverage: PartitionCoverage[] = [];
    for (let i = 0; i < this.sources.length; i++) {
      const status = this.sources[i]!.knownStatus?.();
      if (!status) return undefined;
      const own = status.generations.filter((x) => x.generation === g).flatMap((x) => x.partitions);
      if (coverageVersion(own) !== cached.versions[i]) return undefined;
      coverage.push(...own);
    }
    if (!checkCoverage(coverage, g, this.config.partitions).ready) return undefined;
    this.metrics.unasked.inc();
    const end = window ? window.offset + cached.rows.rows.length : cached.rows.total;
    return { rows: cached.rows.rows, meta: this.meta(generation, coverage, true), hasMore: end < cached.rows.total };
  }

  private async attempt(view: CompiledView, generation: LoadedGeneration, query: ViewQuery, known: CachedAnswer | undefined): Promise<Attempt> {
    const g = generation.manifest.generation;
    const parts = await Promise.all(
      this.sources.map(async (source, i) => {
        const knownVersion = known?.versions[i];
        const part = await source.query({ generation: g, view: view.name, fingerprint: view.fingerprint, query, ...(knownVersion !== undefined ? { knownVersion } : {}) });
        // Unchanged: the rows are the cached part's; the coverage (lag, newest event time) is the fresh one.
        return part.unchanged && known ? { ...known.parts[i]!, coverage: part.coverage } : part;
      }),
    );
    const coverage = parts.flatMap((p) => p.coverage);
    return { parts, coverage, verdict: checkCoverage(coverage, g, this.config.partitions) };
  }

  private async answer(view: CompiledView, generation: LoadedGeneration, result: Attempt, query: ViewQuery, orderBy: OrderBy[], key: string, window?: RowWindow): Promise<Answer> {
    if (generation.incomplete.has(view.name)) {
      throw new ViewIncompleteError(
        `view '${view.name}' was added or changed after generation ${generation.manifest.generation} was computed, so that generation has no batch part for it and an answer would be short; ` +
          'it is complete once a batch run publishes a generation with it (embedded mode starts one at once; otherwise run `lamina batch run`)',
      );
    }
    // The same query over the same generation and the same realtime offsets has the same rows.
    const versions = result.parts.map((p) => coverageVersion(p.coverage));
    const cached = this.results.get(key);
    let rows: CachedAnswer['rows'];
    if (cached && cached.versions.length === versions.length && cached.versions.every((v, i) => v === versions[i])) {
      rows = cached.rows;
    } else {
      rows = await this.answerRows.rows(view, generation, result.parts, query, orderBy, window);
    }
    // The realtime parts are held too: their rows are what an unchanged speed instance's next answer reuses.
    const partRows = result.parts.reduce((n, p) => n + p.rows.length, 0);
    this.results.set(key, { versions, parts: result.parts, rows }, answerBytes(view, rows.rows.length) + resultRowsBytes(partRows, view.measures.length + view.dimensions.length));
    const end = window ? window.offset + rows.rows.length : rows.total;
    return { rows: rows.rows, meta: this.meta(generation, result.coverage, result.verdict.ready), hasMore: end < rows.total };
  }

  /**
   * Computes the batch parts of the most recently asked queries on a new generation before it is
   * served, so a dashboard's next poll merges its realtime part into a ready batch part instead of
   * scanning the new generation itself (450–500 ms for an all-time url × country answer at 1–4 M
   * events). Parts of tables the new generation did not change are found in the cache at once.
   * Bounded in count and time: a new generation is served within seconds of its publication.
   */
  private async warm(generation: LoadedGeneration): Promise<void> {
    const started = Date.now();
    const recent = [...this.recentParts.values()].reverse().slice(0, WARM_QUERIES);
    for (const { view, query } of recent) {
      const left = WARM_BUDGET_MS - (Date.now() - started);
      if (left <= 0) break;
      if (!generation.tables.has(view.name)) continue;
      // Past the budget (a slow store), the part goes on computing into the cache; serving does not wait.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const part = await Promise.race([
        this.partOf(view, generation, query),
        new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), left))),
      ]).finally(() => clearTimeout(timer));
      if (!part) break;
      await this.answerRows.finish(view, part, query);
    }
  }

  /** The batch part of (generation, view, query): scanned once, then from the cache. */
  private batchPart(view: CompiledView, generation: LoadedGeneration, query: ViewQuery): Promise<BatchPart> {
    const recent = JSON.stringify([view.name, query]);
    this.recentParts.delete(recent);
    this.recentParts.set(recent, { view, query });
    if (this.recentParts.size > WARM_QUERIES) this.recentParts.delete(this.recentParts.keys().next().value!);
    return this.partOf(view, generation, query);
  }

  /** batchPart without recording the query as asked (what warm() computes ahead). */
  private partOf(view: CompiledView, generation: LoadedGeneration, query: ViewQuery): Promise<BatchPart> {
    const table = this.grainOf(view, generation, query);
    if (!table) return Promise.resolve({ groups: ScannedGroups.empty(view), rowsScanned: 0, results: [] });
    const selected = measureIndexes(view, query);
    return this.batchParts.get(this.partKey(table, query), selected.length, async () => {
      const chunks = await this.generations.chunksOf(view, table, query.from, query.to);
      const scan = await scanChunks(view, query, chunks, this.dictionaries, { keep: this.cachedAnswers > 0 });
      this.metrics.scanned.inc({ grain: table.granularity }, scan.rowsScanned);
      return scan;
    });
  }

  /** The batch states of `only` groups (late sketches of a page): scanned for the groups not seen yet, then kept. */
  private async batchGroups(view: CompiledView, generation: LoadedGeneration, query: ViewQuery, only: ReadonlySet<string>): Promise<Map<string, GroupRow>> {
    const table = this.grainOf(view, generation, query);
    const found = new Map<string, GroupRow>();
    if (!table) return found;
    const key = this.partKey(table, query);
    let known = this.lateGroups.get(key);
    if (known) this.lateGroups.delete(key);
    known ??= new Map<string, GroupRow | null>();
    if (this.cachedAnswers > 0) {
      this.lateGroups.set(key, known);
      while (this.lateGroups.size > this.cachedAnswers) this.lateGroups.delete(this.lateGroups.keys().next().value!);
    }
    const missing = new Set([...only].filter((k) => !known.has(k)));
    if (missing.size > 0) {
      const chunks = await this.generations.chunksOf(view, table, query.from, query.to);
      const scan = await scanChunks(view, query, chunks, this.dictionaries, { only: missing });
      this.metrics.scanned.inc({ grain: table.granularity }, scan.rowsScanned);
      for (const k of missing) known.set(k, scan.groups.get(k) ?? null);
    }
    for (const k of only) {
      const group = known.get(k);
      if (group) found.set(k, group);
    }
    return found;
  }

  private grainOf(view: CompiledView, generation: LoadedGeneration, query: ViewQuery): GrainTable | undefined {
    const tables = generation.tables.get(view.name);
    return tables && tables.length > 0 ? chooseGrain(tables, query) : undefined;
  }

  private partKey(table: GrainTable, query: ViewQuery): string {
    return JSON.stringify([table.table, table.version, query.from, query.to, query.granularity, query.timeZone, query.groupBy, query.filters, query.measures]);
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
      stale: !ready,
      coverage: sorted,
    };
  }

  /** Waits until every event of an ingest token is covered (batch watermark or folded realtime), or fails retriably. */
  private async waitFor(token: IngestToken): Promise<void> {
    const deadline = Date.now() + this.consistencyWaitMs;
    for (;;) {
      const meta = await this.freshness();
      const generation = this.generations.get(meta.generation)!.manifest;
      const covered = Object.entries(token.offsets).every(([p, end]) => {
        const partition = Number(p);
        if (generation.epoch === token.epoch && (generation.watermark[partition] ?? 0) >= end) return true;
        return meta.coverage.some((c) => c.partition === partition && c.toOffset >= end);
      });
      if (covered) return;
      if (Date.now() >= deadline) {
        throw new NotYetVisibleError(`the events of this consistency token are not in the answers yet after ${this.consistencyWaitMs} ms (realtime lag ${meta.realtimeLagRecords} records); retry`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
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

function answerBytes(view: CompiledView, rows: number): number {
  return resultRowsBytes(rows, view.dimensions.length + view.measures.length);
}
