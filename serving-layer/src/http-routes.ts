/**
 * The serving layer's HTTP surface besides GraphQL: event ingest, Prometheus metrics, health.
 * Plain node:http: each route is a few lines and needs no framework.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LaminaError, ValidationError, type Logger, type Registry } from '@lamina/shared';
import type { IngestService } from './ingest-service.js';

const MAX_BODY_BYTES = 16 * 1024 * 1024;

export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ValidationError(`request body exceeds ${MAX_BODY_BYTES} bytes; send fewer events per request`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new ValidationError(`request body is not valid JSON: ${(error as Error).message}`);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function errorStatus(error: unknown): number {
  if (error instanceof ValidationError) return 400;
  if (error instanceof LaminaError && error.retriable) return 503;
  return 500;
}

export async function handleIngest(req: IncomingMessage, res: ServerResponse, ingest: IngestService, logger: Logger): Promise<void> {
  if (req.method !== 'POST') return sendJson(res, 405, { error: 'use POST with a JSON array of events' });
  try {
    const result = await ingest.ingest(await readJsonBody(req));
    // 200: all accepted; 207: some accepted, some rejected; 400: none accepted.
    const status = result.rejected.length === 0 ? 200 : result.accepted > 0 ? 207 : 400;
    sendJson(res, status, result);
  } catch (error) {
    const status = errorStatus(error);
    if (status >= 500) logger.error({ err: error }, 'ingest failed');
    sendJson(res, status, { error: (error as Error).message, retriable: error instanceof LaminaError ? error.retriable : false });
  }
}

export async function handleMetrics(res: ServerResponse, registry: Registry): Promise<void> {
  const text = await registry.metrics();
  res.writeHead(200, { 'content-type': registry.contentType });
  res.end(text);
}
