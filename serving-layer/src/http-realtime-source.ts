/**
 * A speed instance reached over HTTP. An unreachable instance answers "I cover nothing" rather
 * than failing the whole query: the coverage check then names the partitions nobody covers, and
 * the answer errors instead of being silently short.
 */
import { ValidationError, compileViews, decodeRows, type LaminaConfig, type Logger, type RealtimePart, type RealtimeRequest, type RealtimeSource, type RealtimeStatus, type WireRow, type PartitionCoverage } from '@lamina/shared';
import { HttpJsonClient, type JsonResponse } from './http-json-client.js';

export class HttpRealtimeSource implements RealtimeSource {
  private readonly views;
  private readonly client: HttpJsonClient;

  constructor(
    readonly name: string,
    private readonly baseUrl: string,
    config: LaminaConfig,
    private readonly logger: Logger,
    private readonly timeoutMs = 5_000,
  ) {
    this.views = new Map(compileViews(config).map((v) => [v.name, v]));
    this.client = new HttpJsonClient(baseUrl, timeoutMs);
  }

  close(): void {
    this.client.close();
  }

  async status(): Promise<RealtimeStatus> {
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
    type Reply = { instance: string; rows: WireRow[]; coverage: PartitionCoverage[]; unchanged?: boolean; error?: string };
    let response: JsonResponse<Reply>;
    try {
      response = await this.client.post<Reply>('/v1/query', request);
    } catch (error) {
      this.logger.warn({ instance: this.baseUrl, err: error }, 'speed instance unreachable during a query');
      return { instance: this.name, rows: [], coverage: [] };
    }
    const body = response.body;
    if (response.status !== 200) {
      if (response.status === 400) throw new ValidationError(body.error ?? 'speed instance rejected the query');
      this.logger.warn({ instance: this.baseUrl, status: response.status, error: body.error }, 'speed instance failed a query');
      return { instance: this.name, rows: [], coverage: [] };
    }
    return { instance: body.instance, rows: decodeRows(view, body.rows), coverage: body.coverage, ...(body.unchanged ? { unchanged: true } : {}) };
  }
}
