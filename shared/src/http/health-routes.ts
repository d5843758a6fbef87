/**
 * The operational endpoints every long-running Lamina process answers, whatever else it serves:
 *   GET /healthz  200 while the process runs (liveness)
 *   GET /readyz   200 while its log and store answer, else 503 with the reason per dependency
 *   GET /metrics  Prometheus metrics
 * The archiver and the batch scheduler serve nothing else, so they get startHealthServer().
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { sendMetrics, type Registry } from '../observability/metrics.js';
import type { Readiness } from '../observability/readiness.js';
import { sendJson } from './json-http.js';

export interface HealthEndpoints {
  registry: Registry;
  /** Absent: the process has no dependency to probe and is always ready. */
  readiness?: Readiness;
  /** Metrics of this process kept in another registry (a worker thread's), in the text format. */
  moreMetrics?: () => Promise<string>;
}

/** Answers /healthz, /readyz or /metrics and returns true; false for any other path. */
export function serveHealth(path: string, res: ServerResponse, endpoints: HealthEndpoints): boolean {
  if (path === '/healthz') {
    sendJson(res, 200, { ok: true });
    return true;
  }
  if (path === '/readyz') {
    const report = endpoints.readiness?.report() ?? { ready: true, dependencies: {} };
    sendJson(res, report.ready ? 200 : 503, report);
    return true;
  }
  if (path === '/metrics') {
    void sendMetrics(res, endpoints.registry, endpoints.moreMetrics);
    return true;
  }
  return false;
}

/** Listens on host:port (0 = any free port) and resolves to the bound port. */
export async function listen(server: Server, port: number, host = '0.0.0.0'): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Drops open connections (keep-alive included) and resolves once the server is closed. */
export async function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export interface HealthServer {
  port: number;
  stop(): Promise<void>;
}

export async function startHealthServer(port: number, endpoints: HealthEndpoints, logger: Logger): Promise<HealthServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!serveHealth(path, res, endpoints)) sendJson(res, 404, { error: `no route ${path}; this process serves /healthz, /readyz and /metrics` });
  });
  const bound = await listen(server, port);
  logger.info({ port: bound }, `health endpoints listening on port ${bound} (/healthz, /readyz, /metrics)`);
  return { port: bound, stop: () => closeServer(server) };
}
