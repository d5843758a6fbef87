/**
 * How the S3 client talks to the store: bounded timeouts and a bounded number of attempts, so a
 * stalled server (MinIO paused, a black-holed endpoint) becomes a retriable UnavailableError within
 * seconds instead of a hang, and every failed attempt the SDK retries is logged as it happens.
 *
 * Which timeout catches what: a server that accepts the TCP connection but never answers (a paused
 * process: the kernel still completes the handshake) is caught by the idle timeout; an endpoint
 * that does not accept connections by the connect timeout; a trickle that never ends by the request
 * timeout. The SDK's standard retry mode retries these (TimeoutError, ECONNRESET, 5xx, throttling)
 * with exponential backoff and jitter, up to maxAttempts in all.
 */
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import { errorNameOf, httpStatusOf, isTransientS3Error } from './s3-errors.js';

export interface S3Timeouts {
  /** TCP connect; default 3000 ms. */
  connectMs?: number;
  /** No byte sent or received on the socket for this long; default 5000 ms. */
  idleMs?: number;
  /** The whole exchange until the answer's headers (uploads included); default 30000 ms. */
  requestMs?: number;
}

export const DEFAULT_S3_TIMEOUTS: Required<S3Timeouts> = { connectMs: 3000, idleMs: 5000, requestMs: 30_000 };
export const DEFAULT_S3_MAX_ATTEMPTS = 3;

export function boundedRequests(timeouts: S3Timeouts = {}, maxAttempts = DEFAULT_S3_MAX_ATTEMPTS): Pick<S3ClientConfig, 'requestHandler' | 'retryMode' | 'maxAttempts'> {
  const t = { ...DEFAULT_S3_TIMEOUTS, ...timeouts };
  return {
    // throwOnRequestTimeout: without it the SDK only warns on console when requestTimeout passes.
    requestHandler: { connectionTimeout: t.connectMs, socketTimeout: t.idleMs, requestTimeout: t.requestMs, throwOnRequestTimeout: true },
    retryMode: 'standard',
    maxAttempts,
  };
}

/** The SDK retries silently; this logs each failed attempt (inside the retry loop) as a warning. */
export function logFailedAttempts(client: S3Client, logger: Logger, where: { bucket: string; endpoint: string | undefined }): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (isTransientS3Error(error)) {
          const request = (args as { request?: { headers?: Record<string, string> } }).request;
          const attempt = /attempt=(\d+); max=(\d+)/.exec(request?.headers?.['amz-sdk-request'] ?? '');
          const status = httpStatusOf(error);
          logger.warn(
            { operation: context.commandName, bucket: where.bucket, endpoint: where.endpoint, attempt: attempt ? Number(attempt[1]) : undefined, maxAttempts: attempt ? Number(attempt[2]) : undefined },
            `S3 ${context.commandName} at ${where.endpoint ?? 'AWS'} failed${attempt ? ` (attempt ${attempt[1]} of ${attempt[2]})` : ''}: ${errorNameOf(error) ?? 'Error'}${status ? ` HTTP ${status}` : ''}: ${(error as Error).message}`,
          );
        }
        throw error;
      }
    },
    { step: 'deserialize', name: 'laminaFailedAttemptWarning', priority: 'high' },
  );
}
