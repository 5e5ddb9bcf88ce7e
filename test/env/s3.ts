import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { toolBinary } from './binaries.ts';
import { httpGet } from './http.ts';
import { freePort } from './ports.ts';
import { ManagedProcess } from './process.ts';
import { makeWorkDir, removeWorkDir } from './workdir.ts';

/** A running MinIO server with one bucket. */
export interface S3Server {
  /** e.g. http://127.0.0.1:40111 (path-style addressing). */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** A bucket created at start. */
  bucket: string;
  /** Directory MinIO stores objects in. */
  dataDir: string;
  process: ManagedProcess;
  /** An SDK client configured for this server. */
  client(): S3Client;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

/** Starts MinIO on a free loopback port with fresh credentials and a bucket named `bucket`. */
export async function startS3(options: { bucket?: string } = {}): Promise<S3Server> {
  const dir = await makeWorkDir('s3');
  const [port, consolePort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${port}`;
  const accessKeyId = `wk${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(18).toString('hex');
  const region = 'us-east-1';
  const dataDir = join(dir, 'data');
  const process = new ManagedProcess({
    name: 'minio',
    command: toolBinary('minio', 'minio'),
    logFile: join(dir, 'minio.log'),
    args: [
      'server',
      dataDir,
      '--address',
      `127.0.0.1:${port}`,
      '--console-address',
      `127.0.0.1:${consolePort}`,
      '--quiet',
    ],
    env: {
      MINIO_ROOT_USER: accessKeyId,
      MINIO_ROOT_PASSWORD: secretAccessKey,
      MINIO_REGION: region,
      MINIO_BROWSER: 'off',
      MINIO_UPDATE: 'off',
    },
    ready: async () => (await httpGet(`${endpoint}/minio/health/ready`)).status === 200,
  });
  await process.start();
  const client = (): S3Client =>
    new S3Client({ endpoint, region, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
  const bucket = options.bucket ?? 'watchkeeper-test';
  const setup = client();
  await setup.send(new CreateBucketCommand({ Bucket: bucket }));
  setup.destroy();
  return {
    endpoint,
    region,
    accessKeyId,
    secretAccessKey,
    bucket,
    dataDir,
    process,
    client,
    restart: () => process.restart(),
    stop: async () => {
      await process.stop();
      await removeWorkDir(dir);
    },
  };
}
