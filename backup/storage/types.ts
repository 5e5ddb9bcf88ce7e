import type { Readable } from 'node:stream';

/** Options of {@link ObjectStorage.put}. */
export interface PutOptions {
  /** MIME type recorded with the object. */
  contentType?: string;
  /** Called with the number of bytes stored so far. */
  onProgress?: (bytes: number) => void;
  /** Aborts the upload; nothing is left behind. */
  signal?: AbortSignal;
}

/** What {@link ObjectStorage.put} stored. */
export interface PutResult {
  key: string;
  /** Bytes stored. */
  size: number;
}

/** One stored object as listed. */
export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

/** Options of {@link ObjectStorage.get}. */
export interface GetOptions {
  signal?: AbortSignal;
}

/**
 * A flat key/value object store (S3 or a local directory). A `put` is all-or-nothing: a failed or
 * aborted put leaves no object that `head` or `list` can see.
 */
export interface ObjectStorage {
  /** Where the objects live, for messages (e.g. "s3://bucket at http://minio:9000"); never holds credentials. */
  readonly location: string;
  /** Stores the whole stream under `key`, replacing any object there. */
  put(key: string, body: Readable, options?: PutOptions): Promise<PutResult>;
  /** Streams an object; throws a not_found error when it does not exist. */
  get(key: string, options?: GetOptions): Promise<Readable>;
  /** Size and date of an object, or undefined when it does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Deletes an object; deleting a missing object is not an error. */
  delete(key: string): Promise<void>;
}
