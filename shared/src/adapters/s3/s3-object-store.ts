/**
 * ObjectStore on S3 or any S3-compatible server (MinIO, R2, …) through @aws-sdk/client-s3.
 *
 * The port's guarantees map onto S3's own: a completed PutObject replaces the whole object atomically
 * (readers see the old or the new one), and create-only writes use `If-None-Match: *`, which S3 (since
 * 2024) and MinIO evaluate atomically, so of racing creators exactly one gets 200 and the rest 412.
 *
 * All keys live under the optional `prefix`, so one bucket can host several lakes or test runs.
 * Every request is bounded and retried a bounded number of times (s3-client-config.ts); what still
 * fails is mapped by s3-errors.ts (a stalled store: UnavailableError, retriable).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import { UnavailableError, ValidationError, unlessNotFound } from '../../errors.js';
import type { ByteRange, ObjectInfo, ObjectStore, RemoteLocation } from '../../ports/object-store.js';
import { attemptsOf, errorNameOf, httpStatusOf, isNotFound, notFoundError, toLaminaError, type S3CallContext } from './s3-errors.js';
import { assertValidKey, assertValidPrefix, normalizeStorePrefix, toS3Key } from './s3-keys.js';
import { boundedRequests, logFailedAttempts, type S3Timeouts } from './s3-client-config.js';

export interface S3ObjectStoreOptions {
  bucket: string;
  /** For S3-compatible servers, e.g. 'http://127.0.0.1:19000'; absent means AWS S3 in `region`. */
  endpoint?: string;
  region: string;
  /** Both or neither; when absent the SDK's default chain (env, profile, SSO, IAM role) applies. */
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Every key of this store lives under `<prefix>/`. */
  prefix?: string;
  /** Path-style URLs (endpoint/bucket/key); default true when `endpoint` is set (MinIO needs it). */
  forcePathStyle?: boolean;
  /** Per-request bounds; defaults connect 3 s, idle 5 s, whole request 30 s. */
  timeouts?: S3Timeouts;
  /** HTTP attempts per call, first one included (standard retry mode); default 3. */
  maxAttempts?: number;
  /** Receives a warning for every failed attempt the SDK retries; default: none. */
  logger?: Logger;
}

const encoder = new TextEncoder();
/** User metadata naming the putIfAbsent call that wrote an object (see putIfAbsent). */
const PUT_ID_META = 'lamina-put-id';
/** 409 ConditionalRequestConflict means another conditional write was in flight: retry this often. */
const MAX_CONFLICT_RETRIES = 5;
const CONFLICT_BACKOFF_MS = 20;

export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  /** '' or 'segment/…/': prepended to every key. */
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly endpoint: string | undefined;
  private readonly region: string;

  constructor(options: S3ObjectStoreOptions) {
    if (!options.bucket) throw new ValidationError('S3ObjectStore needs a bucket (options.bucket, e.g. from LAMINA_S3_BUCKET)');
    if (!options.region) throw new ValidationError("S3ObjectStore needs a region (options.region, e.g. from AWS_REGION; MinIO accepts 'us-east-1')");
    if ((options.accessKeyId === undefined) !== (options.secretAccessKey === undefined)) {
      throw new ValidationError('S3ObjectStore: pass both accessKeyId and secretAccessKey, or neither (to use the AWS default credential chain)');
    }
    this.bucket = options.bucket;
    this.prefix = normalizeStorePrefix(options.prefix);
    this.endpoint = options.endpoint;
    this.region = options.region;
    const config: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      ...boundedRequests(options.timeouts, options.maxAttempts),
    };
    if (options.endpoint !== undefined) config.endpoint = options.endpoint;
    if (options.accessKeyId !== undefined && options.secretAccessKey !== undefined) {
      config.credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey, ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}) };
    }
    this.client = new S3Client(config);
    if (options.logger) logFailedAttempts(this.client, options.logger, { bucket: this.bucket, endpoint: this.endpoint });
  }

  async get(key: string, range?: ByteRange): Promise<Uint8Array> {
    const s3Key = this.s3Key(key);
    if (range) assertValidRange(range);
    if (range && range.end !== undefined && range.end === range.start) {
      // S3 has no empty range syntax; the answer is empty, but only for an object that exists.
      if (!(await this.head(key))) throw notFoundError(this.ctx('GetObject', s3Key));
      return new Uint8Array(0);
    }
    const header = range ? `bytes=${range.start}-${range.end === undefined ? '' : range.end - 1}` : undefined;
    const ctx = this.ctx('GetObject', s3Key);
    let response;
    try {
      response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: s3Key, ...(header ? { Range: header } : {}) }));
    } catch (error) {
      // 416: the range starts at or past the end (or the object is empty); like the local store,
      // that reads as zero bytes. S3 answers 404 before 416, so the object exists here.
      if (range && (httpStatusOf(error) === 416 || errorNameOf(error) === 'InvalidRange')) return new Uint8Array(0);
      throw toLaminaError(error, ctx);
    }
    const bytes = await readBody(response.Body, ctx);
    // A server that ignores Range answers 200 with the whole object: cut the range out ourselves.
    if (range && response.ContentRange === undefined && response.$metadata.httpStatusCode === 200) {
      return bytes.subarray(Math.min(range.start, bytes.length), Math.min(range.end ?? bytes.length, bytes.length));
    }
    return bytes;
  }

  tryGet(key: string): Promise<Uint8Array | undefined> {
    return unlessNotFound(this.get(key));
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const s3Key = this.s3Key(key);
    try {
      const response = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: s3Key }));
      return { key, size: response.ContentLength ?? 0, lastModified: response.LastModified ?? new Date(0) };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toLaminaError(error, this.ctx('HeadObject', s3Key));
    }
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    const s3Key = this.s3Key(key);
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: s3Key, Body: toBytes(body) }));
    } catch (error) {
      throw toLaminaError(error, this.ctx('PutObject', s3Key));
    }
  }

  /**
   * PutObject with `If-None-Match: *`: 200 means we created it, 412 that the key exists. Two subtleties:
   * - 409 ConditionalRequestConflict: another conditional write on the key was in flight and ours did
   *   not happen; AWS says to retry, so we do (bounded), then let a read decide.
   * - The SDK retries a PUT whose answer was lost; if the lost attempt succeeded, the retry gets 412 for
   *   our own object. Each call tags its object with a unique id, so a 412 after retries checks whose
   *   object it is instead of wrongly reporting false.
   */
  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    const s3Key = this.s3Key(key);
    const bytes = toBytes(body);
    const putId = randomUUID();
    const ctx = this.ctx('PutObject (If-None-Match: *)', s3Key);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: s3Key, Body: bytes, IfNoneMatch: '*', Metadata: { [PUT_ID_META]: putId } }));
        return true;
      } catch (error) {
        const status = httpStatusOf(error);
        const name = errorNameOf(error);
        if (status === 412 || name === 'PreconditionFailed') {
          return attemptsOf(error) > 1 ? this.writtenBy(s3Key, putId) : false;
        }
        if (status === 409 || name === 'ConditionalRequestConflict') {
          if (attempt <= MAX_CONFLICT_RETRIES) {
            await sleep(CONFLICT_BACKOFF_MS * attempt * (0.5 + Math.random()));
            continue;
          }
          const existing = await this.headPutId(s3Key);
          if (existing.exists) return existing.putId === putId;
          throw new UnavailableError(`S3 kept answering 409 ConditionalRequestConflict for create-only ${ctx.operation} of s3://${this.bucket}/${s3Key} (${attempt} tries) and the key is still absent: concurrent writers are contending; retry`, { cause: error });
        }
        throw toLaminaError(error, ctx);
      }
    }
  }

  async *list(prefix: string, options: { startAfter?: string } = {}): AsyncIterable<ObjectInfo> {
    assertValidPrefix(prefix);
    const fullPrefix = this.prefix + prefix;
    let continuationToken: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: fullPrefix,
            ...(continuationToken ? { ContinuationToken: continuationToken } : options.startAfter !== undefined ? { StartAfter: this.prefix + options.startAfter } : {}),
          }),
        );
      } catch (error) {
        throw toLaminaError(error, this.ctx(`ListObjectsV2 (prefix ${JSON.stringify(fullPrefix)})`));
      }
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || !object.Key.startsWith(this.prefix)) continue;
        yield { key: object.Key.slice(this.prefix.length), size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) };
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
  }

  async delete(key: string): Promise<void> {
    const s3Key = this.s3Key(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: s3Key }));
    } catch (error) {
      if (isNotFound(error)) return; // S3 answers 204 for a missing key; some compatibles say 404
      throw toLaminaError(error, this.ctx('DeleteObject', s3Key));
    }
  }

  remoteLocation(): RemoteLocation {
    return { kind: 's3', bucket: this.bucket, prefix: this.prefix, ...(this.endpoint ? { endpoint: this.endpoint } : {}), region: this.region };
  }

  /** Closes the client's sockets (tests, shutdown); the store is unusable afterwards. */
  destroy(): void {
    this.client.destroy();
  }

  private async writtenBy(s3Key: string, putId: string): Promise<boolean> {
    const existing = await this.headPutId(s3Key);
    return existing.exists && existing.putId === putId;
  }

  private async headPutId(s3Key: string): Promise<{ exists: boolean; putId?: string }> {
    try {
      const response = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: s3Key }));
      const putId = response.Metadata?.[PUT_ID_META];
      return putId === undefined ? { exists: true } : { exists: true, putId };
    } catch (error) {
      if (isNotFound(error)) return { exists: false };
      throw toLaminaError(error, this.ctx('HeadObject', s3Key));
    }
  }

  private s3Key(key: string): string {
    assertValidKey(key);
    return toS3Key(this.prefix, key);
  }

  private ctx(operation: string, key?: string): S3CallContext {
    return { operation, bucket: this.bucket, region: this.region, ...(key !== undefined ? { key } : {}), ...(this.endpoint !== undefined ? { endpoint: this.endpoint } : {}) };
  }
}

interface ByteStream {
  transformToByteArray(): Promise<Uint8Array>;
}

/** The body stream as bytes; a connection that breaks mid-body is an unavailable store, not a bug. */
async function readBody(body: ByteStream | undefined, ctx: S3CallContext): Promise<Uint8Array> {
  if (body === undefined) return new Uint8Array(0);
  try {
    return await body.transformToByteArray();
  } catch (error) {
    throw new UnavailableError(`S3 ${ctx.operation} of s3://${ctx.bucket}/${ctx.key ?? ''}: the connection failed while reading the body (${(error as Error).message}); retry`, { cause: error });
  }
}

function toBytes(body: Uint8Array | string): Uint8Array {
  return typeof body === 'string' ? encoder.encode(body) : body;
}

function assertValidRange(range: ByteRange): void {
  const ok = Number.isSafeInteger(range.start) && range.start >= 0 && (range.end === undefined || (Number.isSafeInteger(range.end) && range.end >= range.start));
  if (!ok) throw new ValidationError(`invalid byte range ${JSON.stringify(range)}: need integers with 0 <= start <= end`);
}
