/**
 * JSON over node:http for Lamina's own endpoints (serving ingest, the speed layer's internal API):
 * bounded body reading, JSON answers, and one mapping from Lamina's errors to HTTP statuses.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LaminaError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors.js';

const MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface JsonBodyOptions {
  maxBytes?: number;
  /**
   * Refuse any content type but application/json (415): a browser sends text/plain, form and
   * multipart bodies across sites without asking (no CORS preflight), so an endpoint that parses
   * them anyway lets any web page post to it.
   */
  requireJsonType?: boolean;
}

export async function readJsonBody(req: IncomingMessage, options: JsonBodyOptions = {}): Promise<unknown> {
  const maxBytes = options.maxBytes ?? MAX_BODY_BYTES;
  if (options.requireJsonType) {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') throw new UnsupportedMediaTypeError(`send the body as application/json (got ${type ? `'${type.slice(0, 64)}'` : 'no content-type'})`);
  }
  const tooLarge = () => new PayloadTooLargeError(`request body exceeds ${maxBytes} bytes; send a smaller request (fewer events)`);
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) {
    req.resume();
    throw tooLarge();
  }
  // Listeners, not for-await: leaving a for-await loop destroys the socket, and the 413 could not be sent.
  const body = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return; // the rest is drained and dropped, not buffered
      size += chunk.length;
      if (size > maxBytes) {
        over = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
  try {
    return JSON.parse(body.toString('utf8'));
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
  // Errors that name their HTTP status (413, 415, 401, 403) keep it.
  if (error instanceof LaminaError && typeof (error as { status?: unknown }).status === 'number') return (error as unknown as { status: number }).status;
  if (error instanceof ValidationError) return 400;
  if (error instanceof LaminaError && error.retriable) return 503;
  return 500;
}
