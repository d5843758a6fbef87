/**
 * The serving layer's HTTP event ingest (plain node:http: the route is a few lines and needs no framework).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LaminaError, errorStatus, readJsonBody, sendJson, type Logger } from '@lamina/shared';
import type { IngestService } from './ingest-service.js';

export async function handleIngest(req: IncomingMessage, res: ServerResponse, ingest: IngestService, logger: Logger): Promise<void> {
  if (req.method !== 'POST') return sendJson(res, 405, { error: 'use POST with a JSON array of events' });
  try {
    const result = await ingest.ingest(await readJsonBody(req));
    // 200: all accepted; 207: some accepted, some rejected; 400: none accepted.
    const status = result.rejected.length === 0 ? 200 : result.accepted > 0 ? 207 : 400;
    sendJson(res, status, result);
  } catch (error) {
    const status = errorStatus(error);
    // 503 is the broker's trouble, not ours: the client retries; the readiness probe says more.
    if (status === 503) logger.warn({ err: error }, `ingest answered 503: ${(error as Error).message}`);
    else if (status >= 500) logger.error({ err: error }, 'ingest failed');
    sendJson(res, status, { error: (error as Error).message, retriable: error instanceof LaminaError ? error.retriable : false });
  }
}
