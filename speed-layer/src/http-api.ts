/**
 * The speed layer's internal HTTP API, for serving instances in distributed mode:
 *   GET  /v1/status  -> RealtimeStatus (generations held, coverage per owned partition) and its etag;
 *                       ?after=<etag>&waitMs=<n> waits (long poll) until it differs (status-watch.ts)
 *   POST /v1/query   -> { instance, rows: WireRow[], coverage } for { generation, view, query }
 *   GET  /metrics, /healthz, /readyz (the log and the store answer)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { LaminaError, closeServer, errorStatus, listen, readJsonBody, sendJson, serveHealth, type Logger, type Readiness, type RealtimeRequest, type Registry } from '@lamina/shared';
import type { SpeedLayer } from './speed-layer.js';
import { StatusWatch } from './status-watch.js';

export class SpeedHttpApi {
  private server: Server | undefined;
  private readonly watch: StatusWatch;

  constructor(
    private readonly speed: SpeedLayer,
    private readonly registry: Registry,
    private readonly logger: Logger,
    private readonly readiness?: Readiness,
  ) {
    this.watch = new StatusWatch(() => this.speed.status());
  }

  async start(port: number, host = '0.0.0.0'): Promise<number> {
    this.server = createServer((req, res) => void this.route(req, res));
    const bound = await listen(this.server, port, host);
    this.logger.info({ port: bound }, 'speed layer API listening');
    return bound;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://speed');
    const path = url.pathname;
    try {
      if (path === '/v1/status') {
        const after = url.searchParams.get('after');
        const waitMs = Number(url.searchParams.get('waitMs') ?? 0);
        return sendJson(res, 200, after === null ? await this.watch.current() : await this.watch.next(after, Number.isFinite(waitMs) ? waitMs : 0));
      }
      if (path === '/v1/query' && req.method === 'POST') {
        return sendJson(res, 200, await this.speed.queryEncoded((await readJsonBody(req)) as RealtimeRequest));
      }
      if (serveHealth(path!, res, { registry: this.registry, ...(this.readiness ? { readiness: this.readiness } : {}) })) return;
      sendJson(res, 404, { error: `no route ${path}` });
    } catch (error) {
      const status = errorStatus(error);
      if (status === 500) this.logger.error({ err: error }, 'speed API request failed');
      sendJson(res, status, { error: (error as Error).message, code: error instanceof LaminaError ? error.code : 'INTERNAL' });
    }
  }

  stop(): Promise<void> {
    this.watch.close();
    return closeServer(this.server);
  }
}
