/**
 * JSON over node:http for Lamina's own endpoints (serving ingest, the speed layer's internal API):
 * bounded body reading, JSON answers, and one mapping from Lamina's errors to HTTP statuses.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LaminaError, ValidationError } from '../errors.js';

const MAX_BODY_BYTES = 16 * 1024 * 1024;

export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ValidationError(`request body exceeds ${MAX_BODY_BYTES} bytes; send a smaller request (fewer events)`);
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
