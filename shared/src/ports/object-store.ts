/**
 * The ObjectStore port: S3's semantics (flat keys, whole-object writes, ranged reads, create-only
 * puts), so the S3 adapter and the local-folder adapter are interchangeable under the lake.
 *
 * Keys use '/' as separator, never start with '/', never contain '..' segments.
 */

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

/** Where a store's objects live for an engine outside this process (Spark through Hadoop's S3A). */
export interface RemoteLocation {
  kind: 's3';
  bucket: string;
  /** '' or 'segment/…/': prepended to every key. */
  prefix: string;
  /** An S3-compatible server's URL (MinIO, …); absent for AWS S3. */
  endpoint?: string;
  region: string;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, exclusive; absent means to the end. */
  end?: number;
}

export interface ObjectStore {
  /** Throws NotFoundError when the key does not exist. */
  get(key: string, range?: ByteRange): Promise<Uint8Array>;
  /** Like get, but resolves undefined for a missing key. */
  tryGet(key: string): Promise<Uint8Array | undefined>;
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Overwrites atomically: a reader sees the old object or the new one, never a mix. */
  put(key: string, body: Uint8Array | string): Promise<void>;
  /**
   * Create-only put: writes only if no object has the key. Resolves true if this call created it,
   * false if it existed. Atomic: of two racing callers exactly one gets true.
   */
  putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean>;
  /** Keys starting with `prefix`, in lexicographic (byte) order, after `startAfter` if given. */
  list(prefix: string, options?: { startAfter?: string }): AsyncIterable<ObjectInfo>;
  /** Idempotent: deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Where the object lives on this machine's file system, when the store is a local folder: an
   * in-process engine then reads it in place instead of through a copy. Absent on remote stores.
   */
  localPath?(key: string): string;
  /** Where the objects are for another process, when it can reach them (absent on a local folder). No secrets: those come from the reader's own credential chain. */
  remoteLocation?(): RemoteLocation;
}
