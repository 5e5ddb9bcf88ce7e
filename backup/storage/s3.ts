import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WatchkeeperError, describeError } from '../../core/errors.ts';
import { MultipartWriter } from './multipart.ts';
import type { GetOptions, ObjectInfo, ObjectStorage, PutOptions, PutResult } from './types.ts';

/** Settings of {@link S3Storage} (the `backup.storage.s3` section). */
export interface S3StorageOptions {
  bucket: string;
  endpoint?: string | undefined;
  region: string;
  forcePathStyle: boolean;
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  serverSideEncryption: 'none' | 'AES256' | 'aws:kms';
  kmsKeyId?: string | undefined;
  storageClass?: string | undefined;
  partSizeMiB: number;
  queueSize: number;
}

/**
 * Object storage on S3 or any S3-compatible server. Puts are multipart uploads with a fixed part
 * size and queue whose part buffers are reused ({@link MultipartWriter}), so memory stays
 * bounded whatever the object size; a failed put aborts its multipart upload, so no object appears.
 */
export class S3Storage implements ObjectStorage {
  readonly location: string;
  private readonly client: S3Client;
  private readonly options: S3StorageOptions;

  constructor(options: S3StorageOptions) {
    this.options = options;
    this.location = `s3://${options.bucket}${options.endpoint ? ` at ${options.endpoint}` : ` (${options.region})`}`;
    this.client = new S3Client({
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.accessKeyId && options.secretAccessKey
        ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
        : {}),
      // Our own sha256 of every object is checked on restore; optional SDK checksums only upset
      // some S3-compatible servers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 4,
    });
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<PutResult> {
    const writer = new MultipartWriter({
      client: this.client,
      target: {
        Bucket: this.options.bucket,
        Key: key,
        ...(options.contentType ? { ContentType: options.contentType } : {}),
        ...(this.options.serverSideEncryption !== 'none'
          ? { ServerSideEncryption: this.options.serverSideEncryption }
          : {}),
        ...(this.options.serverSideEncryption === 'aws:kms' && this.options.kmsKeyId
          ? { SSEKMSKeyId: this.options.kmsKeyId }
          : {}),
        ...(this.options.storageClass ? { StorageClass: this.options.storageClass as StorageClass } : {}),
      },
      partSize: this.options.partSizeMiB * 1024 * 1024,
      queueSize: this.options.queueSize,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const onAbort = (): void => {
      body.destroy(new Error('upload aborted'));
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await pipeline(body, writer);
    } catch (error) {
      body.destroy();
      throw wrap(error, `uploading ${key} to ${this.location}`);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    return { key, size: writer.bytes };
  }

  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    try {
      const result = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: key }),
        options.signal ? { abortSignal: options.signal } : {},
      );
      if (!(result.Body instanceof Readable)) throw new Error('the response has no body stream');
      return result.Body;
    } catch (error) {
      if (isNotFound(error)) throw new WatchkeeperError('not_found', `${key} does not exist in ${this.location}`);
      throw wrap(error, `downloading ${key} from ${this.location}`);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const result = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return { key, size: result.ContentLength ?? 0, lastModified: result.LastModified ?? new Date(0) };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw wrap(error, `reading ${key} from ${this.location}`);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, ContinuationToken: token }),
        );
      } catch (error) {
        throw wrap(error, `listing ${prefix} in ${this.location}`);
      }
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield { key: object.Key, size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }));
    } catch (error) {
      if (isNotFound(error)) return;
      throw wrap(error, `deleting ${key} from ${this.location}`);
    }
  }

  /** Closes the HTTP connections. */
  close(): void {
    this.client.destroy();
  }
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404) &&
    error.name !== 'NoSuchBucket'
  );
}

/** Turns SDK and network errors into one clear sentence naming the likely cause. */
function wrap(error: unknown, what: string): Error {
  if (error instanceof WatchkeeperError) return error;
  let reason = describeError(error);
  if (error instanceof S3ServiceException) {
    const hints: Record<string, string> = {
      InvalidAccessKeyId: 'the access key id is not known to the server (wrong credentials)',
      SignatureDoesNotMatch: 'the secret access key is wrong',
      AccessDenied: 'access denied (check the credentials and the bucket policy)',
      NoSuchBucket: 'the bucket does not exist',
    };
    reason = hints[error.name] ?? `${error.name}: ${error.message}`;
  } else {
    const code =
      (error as { code?: string } | undefined)?.code ??
      (error as { cause?: { code?: string } } | undefined)?.cause?.code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ECONNRESET') {
      reason = `the S3 server is unreachable (${code})`;
    }
  }
  return new WatchkeeperError('storage_failed', `${what}: ${reason}`, { cause: error });
}
