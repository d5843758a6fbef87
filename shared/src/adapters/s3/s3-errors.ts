/**
 * Translates @aws-sdk/client-s3 failures into Lamina's error root, so the lake decides between retry
 * and give-up on `retriable` alone. The SDK has already retried transient failures when these run;
 * what is left is reported with the operation, the object and the endpoint, plus the fix.
 */
import { ConfigError, LaminaError, NotFoundError, UnavailableError } from '../../errors.js';

export interface S3CallContext {
  operation: string;
  bucket: string;
  /** The full S3 key (store prefix included), when the call is about one object. */
  key?: string;
  /** The endpoint the client talks to; undefined means AWS's regional endpoint. */
  endpoint?: string;
  region: string;
}

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

const CREDENTIAL_CODES = new Set(['SignatureDoesNotMatch', 'InvalidAccessKeyId', 'AccessDenied', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired', 'InvalidSecurity', 'AllAccessDisabled']);
const TRANSIENT_CODES = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestTimeout', 'RequestTimeoutException', 'ServiceUnavailable', 'InternalError', 'TimeoutError', 'XMinioServerNotInitialized', 'XMinioStorageFull']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET']);

export function httpStatusOf(error: unknown): number | undefined {
  return (error as SdkErrorShape | undefined)?.$metadata?.httpStatusCode;
}

export function errorNameOf(error: unknown): string | undefined {
  return (error as SdkErrorShape | undefined)?.name;
}

/** How many HTTP attempts the SDK made for the failed call (1 when it did not retry). */
export function attemptsOf(error: unknown): number {
  return (error as SdkErrorShape | undefined)?.$metadata?.attempts ?? 1;
}

export function isNotFound(error: unknown): boolean {
  const name = errorNameOf(error);
  if (name === 'NoSuchBucket') return false; // a missing bucket is a configuration problem, never "no such object"
  return name === 'NoSuchKey' || name === 'NotFound' || httpStatusOf(error) === 404;
}

export function toLaminaError(error: unknown, ctx: S3CallContext): Error {
  if (error instanceof LaminaError) return error;
  const e = (error ?? {}) as SdkErrorShape;
  const status = httpStatusOf(error);
  const name = e.name ?? 'Error';
  const where = describeTarget(ctx);
  const detail = `${name}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(error)}`;

  if (name === 'NoSuchBucket') {
    return new ConfigError(`S3 bucket "${ctx.bucket}" does not exist at ${endpointOf(ctx)}: create it, or point LAMINA_S3_BUCKET / the lake's bucket setting at an existing one (${ctx.operation} ${where})`, { cause: error });
  }
  if (isNotFound(error)) return notFoundError(ctx, error);
  if (name === 'CredentialsProviderError' || (e.message ?? '').includes('Could not load credentials')) {
    return new LaminaError('S3_ACCESS_DENIED', `no AWS credentials found for S3 ${ctx.operation} ${where}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, or run with an IAM role), or pass accessKeyId/secretAccessKey in the S3 store options`, { cause: error });
  }
  if (status === 403 || CREDENTIAL_CODES.has(name)) {
    return new LaminaError('S3_ACCESS_DENIED', `S3 refused ${ctx.operation} ${where} at ${endpointOf(ctx)}: ${detail}. Check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials) are the pair for this endpoint, and that this identity may GetObject/PutObject/ListBucket/DeleteObject on bucket "${ctx.bucket}"`, { cause: error });
  }
  if (status === 301 || name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed' || name === 'IllegalLocationConstraintException') {
    return new ConfigError(`S3 bucket "${ctx.bucket}" is not reachable in region "${ctx.region}" at ${endpointOf(ctx)} (${detail}): set AWS_REGION / the store's region to the bucket's region`, { cause: error });
  }
  if (isTransient(error, status, name)) {
    return new UnavailableError(`S3 ${ctx.operation} ${where} at ${endpointOf(ctx)} failed after ${attemptsOf(error)} attempt(s): ${detail}. The object store is unreachable, throttling or failing; retry later, and check that the endpoint is up (locally: npm run stack:up)`, { cause: error });
  }
  return new LaminaError('S3_REQUEST_FAILED', `S3 ${ctx.operation} ${where} at ${endpointOf(ctx)} failed: ${detail}`, { cause: error });
}

export function notFoundError(ctx: S3CallContext, cause?: unknown): NotFoundError {
  return new NotFoundError(`object ${JSON.stringify(ctx.key ?? '')} does not exist in S3 bucket "${ctx.bucket}" at ${endpointOf(ctx)} (${ctx.operation})`, cause === undefined ? {} : { cause });
}

/** Throttling, 5xx, timeouts and network failures: what the SDK retries and a retry may cure. */
export function isTransientS3Error(error: unknown): boolean {
  return isTransient(error, httpStatusOf(error), errorNameOf(error) ?? 'Error');
}

function isTransient(error: unknown, status: number | undefined, name: string): boolean {
  if (status !== undefined && (status === 429 || status >= 500)) return true;
  if (TRANSIENT_CODES.has(name)) return true;
  const code = (error as SdkErrorShape | undefined)?.code;
  if (code !== undefined && NETWORK_CODES.has(code)) return true;
  // No HTTP status at all: the request never got an answer (socket, DNS, TLS, abort by timeout).
  return status === undefined && (error as SdkErrorShape | undefined)?.$metadata !== undefined;
}

function describeTarget(ctx: S3CallContext): string {
  return ctx.key === undefined ? `on s3://${ctx.bucket}` : `of s3://${ctx.bucket}/${ctx.key}`;
}

function endpointOf(ctx: S3CallContext): string {
  return ctx.endpoint ?? `AWS S3 (${ctx.region})`;
}
