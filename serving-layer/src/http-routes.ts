/**
 * The serving layer's HTTP event ingest (plain node:http: the route is a few lines and needs no framework).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LaminaError, errorStatus, readJsonBody, sendJson, type Logger } from '@lamina/shared';
import type { IngestService } from './ingest-service.js';
import type { AccessControl } from './access-control.js';

/** CORS for ingest: the configured origins only (a preflight is needed: the body is application/json). */
function allowOrigin(req: IncomingMessage, res: ServerResponse, origins: readonly string[]): void {
  const origin = req.headers.origin;
  if (!origin || origins.length === 0) return;
  if (!origins.includes('*') && !origins.includes(origin)) return;
  res.setHeader('access-control-allow-origin', origins.includes('*') ? '*' : origin);
  res.setHeader('vary', 'origin');
  res.setHeader('access-control-allow-headers', 'content-type, authorization, x-api-key');
  res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
}

export async function handleIngest(req: IncomingMessage, res: ServerResponse, ingest: IngestService, logger: Logger, access: AccessControl, corsOrigins: readonly string[]): Promise<void> {
  allowOrigin(req, res, corsOrigins);
  if (req.method === 'OPTIONS') {
    res.writeHead(204).end();
    return;
  }
  if (req.method !== 'POST') return sendJson(res, 405, { error: 'use POST with a JSON array of events' });
  try {
    access.check(req.headers, 'write');
    const result = await ingest.ingest(await readJsonBody(req, { maxBytes: ingest.maxBodyBytes, requireJsonType: true }));
    // 200: all accepted; 207: some accepted, some rejected; 400: none accepted.
    const status = result.rejected.length === 0 ? 200 : result.accepted > 0 ? 207 : 400;
    sendJson(res, status, result);
  } catch (error) {
    const status = errorStatus(error);
    // 503 is the broker's trouble, not ours: the client retries; the readiness probe says more.
    if (status === 503) logger.warn({ err: error }, `ingest answered 503: ${(error as Error).message}`);
    else if (status >= 500) logger.error({ err: error }, 'ingest failed');
    // A refused request's body is not read: close the connection rather than drain it.
    if (status === 401 || status === 403 || status === 413) res.setHeader('connection', 'close');
    sendJson(res, status, { error: (error as Error).message, retriable: error instanceof LaminaError ? error.retriable : false });
  }
}
