import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3, type S3Server } from '../env/index.ts';

describe('test env: MinIO', () => {
  let s3: S3Server;
  let client: S3Client;

  beforeAll(async () => {
    s3 = await startS3();
    client = s3.client();
  });
  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
  });

  it('puts and gets an object and reports a missing key as NoSuchKey', async () => {
    await client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: 'a/b.txt', Body: 'hello', ChecksumAlgorithm: 'SHA256' }),
    );
    const got = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'a/b.txt' }));
    expect(await got.Body?.transformToString()).toBe('hello');
    await expect(client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'missing' }))).rejects.toBeInstanceOf(
      NoSuchKey,
    );
  });

  it('refuses wrong credentials', async () => {
    const { S3Client: Client } = await import('@aws-sdk/client-s3');
    const wrong = new Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: 'wrong-secret-key' },
    });
    await expect(wrong.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'a/b.txt' }))).rejects.toThrow(/signature/i);
    wrong.destroy();
  });

  it('keeps objects across a restart (fault hook)', async () => {
    await s3.restart();
    const got = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'a/b.txt' }));
    expect(await got.Body?.transformToString()).toBe('hello');
  });
});
