/**
 * A speed instance reached over HTTP. An unreachable instance answers "I cover nothing" rather
 * than failing the whole query: the coverage check then names the partitions nobody covers, and
 * the answer errors instead of being silently short.
 *
 * One long poll per instance (`/v1/status?after=…`, see the speed layer's status-watch.ts) keeps its
 * status current here: a query whose cached answer matches it needs no round trip, and status asks
 * read it. It counts as current only while polls keep coming back (every WATCH_WAIT_MS at most).
 */
import { ValidationError, compileViews, decodeRows, type LaminaConfig, type Logger, type RealtimePart, type RealtimeRequest, type RealtimeSource, type RealtimeStatus, type EncodedRealtimePart } from '@lamina/shared';
import { HttpJsonClient, type JsonResponse } from './http-json-client.js';

const WATCH_WAIT_MS = 2_000;
/** A watched status older than this (no poll came back) is not trusted: the instance may have stalled. */
const WATCH_TRUST_MS = WATCH_WAIT_MS + 1_000;
const WATCH_RETRY_MS = 500;
/** A realtime part that takes longer than this is logged: an answer waits for every instance's. */
const SLOW_QUERY_MS = 1_000;

type WatchedStatus = RealtimeStatus & { etag: string };

export class HttpRealtimeSource implements RealtimeSource {
  private readonly views;
  private readonly client: HttpJsonClient;
  private watched: { status: RealtimeStatus; at: number } | undefined;
  private watching = false;
  private closed = false;

  constructor(
    readonly name: string,
    private readonly baseUrl: string,
    config: LaminaConfig,
    private readonly logger: Logger,
    timeoutMs = 5_000,
  ) {
    this.views = new Map(compileViews(config).map((v) => [v.name, v]));
    this.client = new HttpJsonClient(baseUrl, timeoutMs);
  }

  close(): void {
    this.closed = true;
    this.watched = undefined;
    this.client.close();
  }

  knownStatus(): RealtimeStatus | undefined {
    this.startWatching();
    const watched = this.watched;
    return watched && Date.now() - watched.at <= WATCH_TRUST_MS ? watched.status : undefined;
  }

  /** From the first use on (not at construction: a source nobody asks needs no poll). */
  private startWatching(): void {
    if (this.watching || this.closed) return;
    this.watching = true;
    void this.watch();
  }

  private async watch(): Promise<void> {
    let etag = '';
    while (!this.closed) {
      try {
        const response = await this.client.get<WatchedStatus>(`/v1/status?after=${encodeURIComponent(etag)}&waitMs=${WATCH_WAIT_MS}`);
        if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
        const { etag: next, ...status } = response.body;
        etag = next;
        this.watched = { status, at: Date.now() };
      } catch (error) {
        this.watched = undefined;
        if (this.closed) return;
        this.logger.debug({ instance: this.baseUrl, err: error }, 'speed instance status watch failed; queries ask it directly');
        await new Promise((resolve) => setTimeout(resolve, WATCH_RETRY_MS).unref());
      }
    }
  }

  async status(): Promise<RealtimeStatus> {
    const known = this.knownStatus();
    if (known) return known;
    try {
      const response = await this.client.get<RealtimeStatus>('/v1/status');
      if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
      return response.body;
    } catch (error) {
      this.logger.warn({ instance: this.baseUrl, err: error }, 'speed instance unreachable; its partitions count as uncovered');
      return { instance: this.name, generations: [] };
    }
  }

  async query(request: RealtimeRequest): Promise<RealtimePart> {
    const view = this.views.get(request.view);
    if (!view) throw new ValidationError(`unknown view '${request.view}'`);
    this.startWatching();
    type Reply = EncodedRealtimePart & { error?: string };
    let response: JsonResponse<Reply>;
    const started = Date.now();
    try {
      response = await this.client.post<Reply>('/v1/query', request);
    } catch (error) {
      this.logger.warn({ instance: this.baseUrl, err: error, ms: Date.now() - started }, 'speed instance unreachable during a query');
      return { instance: this.name, rows: [], coverage: [] };
    }
    const ms = Date.now() - started;
    if (ms > SLOW_QUERY_MS) this.logger.warn({ instance: this.baseUrl, ms, generation: request.generation, view: request.view }, `speed instance took ${ms} ms to answer a query (the answer waited for it)`);
    const body = response.body;
    if (response.status !== 200) {
      if (response.status === 400) throw new ValidationError(body.error ?? 'speed instance rejected the query');
      this.logger.warn({ instance: this.baseUrl, status: response.status, error: body.error }, 'speed instance failed a query');
      return { instance: this.name, rows: [], coverage: [] };
    }
    return { instance: body.instance, rows: decodeRows(view, body.rows), coverage: body.coverage, ...(body.unchanged ? { unchanged: true } : {}) };
  }
}
