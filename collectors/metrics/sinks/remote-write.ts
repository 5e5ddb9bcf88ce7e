import type { OutgoingHttpHeaders } from 'node:http';
import { compressSync } from 'snappy';
import type { Logger } from '../../../core/log.ts';
import { buildInfo } from '../../../core/version.ts';
import { remoteWriteOutputName, type RemoteWriteOutputConfig } from './config.ts';
import { Credential } from './credential.ts';
import { HttpPoster } from './http-post.ts';
import type { SinkMetrics } from './metrics.ts';
import { QueuedSink, type OutputWriter, type PreparedRequest } from './queued-sink.ts';
import { RemoteWriteEncoder } from './remote-write-encoder.ts';
import { sliceEntries, type QueuedSlice } from './sample-queue.ts';

/** The headers the remote_write 1.0 specification requires on every request. */
export const remoteWriteHeaders = {
  'content-encoding': 'snappy',
  'content-type': 'application/x-protobuf',
  'x-prometheus-remote-write-version': '0.1.0',
  'user-agent': `watchkeeper/${buildInfo.version}`,
} as const;

/** Encodes slices as a snappy-compressed (block format) protobuf WriteRequest, reusing the encoder's buffer. */
export function encodeRemoteWrite(slices: readonly QueuedSlice[], encoder = new RemoteWriteEncoder()): Buffer {
  return compressSync(encoder.encode(slices));
}

/** Sends WriteRequests to one receiver with bearer-token or basic authentication and any extra headers. */
export class RemoteWriteWriter implements OutputWriter<Buffer> {
  private readonly config: RemoteWriteOutputConfig;
  private readonly poster: HttpPoster;
  private readonly bearer: Credential;
  private readonly password: Credential;
  private readonly encoder = new RemoteWriteEncoder();

  constructor(output: string, config: RemoteWriteOutputConfig) {
    this.config = config;
    this.poster = new HttpPoster(output, config.url, config.tls, config.timeoutSeconds * 1000);
    this.bearer = new Credential(output, config.bearerToken, config.bearerTokenFile);
    this.password = new Credential(output, config.basicAuth?.password, config.basicAuth?.passwordFile);
  }

  prepare(slices: readonly QueuedSlice[]): PreparedRequest<Buffer> {
    return { payload: encodeRemoteWrite(slices, this.encoder), samples: sliceEntries(slices) };
  }

  async send(body: Buffer, signal: AbortSignal): Promise<undefined> {
    const headers: OutgoingHttpHeaders = { ...this.config.headers, ...remoteWriteHeaders };
    if (this.bearer.present) headers.authorization = `Bearer ${await this.bearer.read()}`;
    const { basicAuth } = this.config;
    if (basicAuth !== undefined) {
      headers.authorization = `Basic ${Buffer.from(`${basicAuth.username}:${await this.password.read()}`).toString('base64')}`;
    }
    await this.poster.post(body, headers, signal);
    return undefined;
  }

  close(): Promise<void> {
    this.poster.close();
    return Promise.resolve();
  }
}

/** Creates one remote_write sink: a {@link QueuedSink} around a {@link RemoteWriteWriter}. */
export function createRemoteWriteSink(
  config: RemoteWriteOutputConfig,
  deps: { metrics: SinkMetrics; logger: Logger },
): QueuedSink<Buffer> {
  const name = remoteWriteOutputName(config);
  return new QueuedSink({
    name,
    writer: new RemoteWriteWriter(name, config),
    settings: config,
    maxSamplesPerRequest: config.maxSamplesPerRequest,
    metrics: deps.metrics,
    logger: deps.logger.child({ output: name }),
  });
}
