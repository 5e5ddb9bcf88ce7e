import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Storage } from '../../backup/storage/s3.ts';
import { startS3, type S3Server } from '../env/index.ts';

const MiB = 1024 * 1024;

/** Yields `data` in pieces of varying sizes (1 byte to ~1.5 MiB), so part boundaries fall inside chunks. */
function pieces(data: Buffer): Readable {
  const sizes = [1, 1_500_000, 65_536, 7, 999_999, 32_768];
  return Readable.from(
    (function* () {
      let offset = 0;
      for (let i = 0; offset < data.length; i++) {
        const n = sizes[i % sizes.length]!;
        yield data.subarray(offset, offset + n);
        offset += n;
      }
    })(),
  );
}

describe('S3Storage multipart writer (real MinIO)', () => {
  let s3: S3Server;
  let storage: S3Storage;

  beforeAll(async () => {
    s3 = await startS3();
    storage = new S3Storage({
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      serverSideEncryption: 'none',
      partSizeMiB: 5,
      queueSize: 2,
    });
  });

  afterAll(async () => {
    storage?.close();
    await s3?.stop();
  });

  const download = async (key: string): Promise<Buffer> => {
    const client = s3.client();
    try {
      return Buffer.from(
        await (await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body!.transformToByteArray(),
      );
    } finally {
      client.destroy();
    }
  };

  const pendingUploads = async (prefix: string): Promise<unknown[]> => {
    const client = s3.client();
    try {
      return (await client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: prefix }))).Uploads ?? [];
    } finally {
      client.destroy();
    }
  };

  it('stores an object of several parts byte for byte, with progress up to its size', async () => {
    const data = randomBytes(17 * MiB + 12_345);
    let progress = 0;
    const result = await storage.put('mp/multi.bin', pieces(data), {
      onProgress: (bytes) => {
        progress = bytes;
      },
    });
    expect(result).toEqual({ key: 'mp/multi.bin', size: data.length });
    expect(progress).toBe(data.length);
    const stored = await download('mp/multi.bin');
    expect(createHash('sha256').update(stored).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    expect(await pendingUploads('mp/')).toEqual([]);
  });

  it('stores objects smaller than a part, an exact part and an empty one', async () => {
    for (const [name, size] of [
      ['small', 1000],
      ['exact', 5 * MiB],
      ['empty', 0],
    ] as const) {
      const data = randomBytes(size);
      const result = await storage.put(`mp/${name}.bin`, pieces(data));
      expect(result.size).toBe(size);
      expect((await download(`mp/${name}.bin`)).equals(data)).toBe(true);
    }
    expect(await pendingUploads('mp/')).toEqual([]);
  });

  it('aborts the multipart upload when the source fails after some parts: no object, no pending upload', async () => {
    const source = Readable.from(
      (async function* () {
        for (let i = 0; i < 12; i++) yield randomBytes(MiB);
        throw new Error('etcd went away');
      })(),
    );
    await expect(storage.put('mp/failed.bin', source)).rejects.toThrow(/uploading mp\/failed\.bin .*etcd went away/);
    const client = s3.client();
    try {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'mp/failed' }));
      expect(listed.Contents ?? []).toEqual([]);
    } finally {
      client.destroy();
    }
    expect(await pendingUploads('mp/failed')).toEqual([]);
  });
});
