/**
 * A speed instance reached over HTTP. An unreachable instance answers "I cover nothing" rather
 * than failing the whole query: the coverage check then names the partitions nobody covers, and
 * the answer errors instead of being silently short.
 */
import { ValidationError, compileViews, decodeRows, type LaminaConfig, type Logger, type RealtimePart, type RealtimeRequest, type RealtimeSource, type RealtimeStatus, type WireRow, type PartitionCoverage } from '@lamina/shared';

export class HttpRealtimeSource implements RealtimeSource {
  private readonly views;

  constructor(
    readonly name: string,
    private readonly baseUrl: string,
    config: LaminaConfig,
    private readonly logger: Logger,
    private readonly timeoutMs = 5_000,
  ) {
    this.views = new Map(compileViews(config).map((v) => [v.name, v]));
  }

  async status(): Promise<RealtimeStatus> {
    try {
      const response = await fetch(`${this.baseUrl}/v1/status`, { signal: AbortSignal.timeout(this.timeoutMs) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return (await response.json()) as RealtimeStatus;
    } catch (error) {
      this.logger.warn({ instance: this.baseUrl, err: error }, 'speed instance unreachable; its partitions count as uncovered');
      return { instance: this.name, generations: [] };
    }
  }

  async query(request: RealtimeRequest): Promise<RealtimePart> {
    const view = this.views.get(request.view);
    if (!view) throw new ValidationError(`unknown view '${request.view}'`);
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      this.logger.warn({ instance: this.baseUrl, err: error }, 'speed instance unreachable during a query');
      return { instance: this.name, rows: [], coverage: [] };
    }
    const body = (await response.json()) as { instance: string; rows: WireRow[]; coverage: PartitionCoverage[]; error?: string };
    if (!response.ok) {
      if (response.status === 400) throw new ValidationError(body.error ?? 'speed instance rejected the query');
      this.logger.warn({ instance: this.baseUrl, status: response.status, error: body.error }, 'speed instance failed a query');
      return { instance: this.name, rows: [], coverage: [] };
    }
    return { instance: body.instance, rows: decodeRows(view, body.rows), coverage: body.coverage };
  }
}
