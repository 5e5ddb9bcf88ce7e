import { pino } from 'pino';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import { logsSection, type LogsConfig } from '../../../../collectors/logs/config.ts';
import { createLogsMetrics, type LogsMetrics } from '../../../../collectors/logs/metrics.ts';
import { AckTarget } from '../../../../collectors/logs/pipeline/ack.ts';
import type { Batch } from '../../../../collectors/logs/pipeline/batch.ts';
import { FileEmitter, type MessageOptions } from '../../../../collectors/logs/pipeline/emitter.ts';
import { IndexNames } from '../../../../collectors/logs/pipeline/index-names.ts';
import { Pipeline } from '../../../../collectors/logs/pipeline/pipeline.ts';
import type { LogSink } from '../../../../collectors/logs/sinks/types.ts';

/** A document the capturing sink received. */
export interface Captured {
  index: string;
  id: string;
  doc: Record<string, unknown>;
}

/** A sink that keeps what it gets (and can be told to hang). */
export class CaptureSink implements LogSink {
  readonly name = 'capture';
  readonly docs: Captured[] = [];
  batches = 0;
  hold: Promise<void> | undefined;
  start(): Promise<void> {
    return Promise.resolve();
  }
  async write(batch: Batch): Promise<void> {
    if (this.hold) await this.hold;
    this.batches++;
    for (let i = 0; i < batch.count; i++) {
      this.docs.push({
        index: batch.index(i),
        id: batch.id(i),
        doc: JSON.parse(batch.doc(i).toString('utf8')) as Record<string, unknown>,
      });
    }
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The logs section with defaults and overrides. */
export function logsConfig(overrides: Record<string, unknown> = {}): LogsConfig {
  return logsSection.parse(overrides);
}

/** A pipeline into a capturing sink, plus an emitter for one pretend file. */
export function captureRig(
  options: Partial<MessageOptions> = {},
  batch: Partial<LogsConfig['batch']> = {},
): {
  sink: CaptureSink;
  pipeline: Pipeline;
  emitter: FileEmitter;
  target: AckTarget;
  metrics: LogsMetrics;
} {
  const sink = new CaptureSink();
  const metrics = createLogsMetrics(new Registry());
  const pipeline = new Pipeline({
    sink,
    batch: { ...logsConfig().batch, maxDelayMs: 20, ...batch },
    metrics,
    logger: pino({ level: 'silent' }),
  });
  const target = new AckTarget(0);
  const emitter = new FileEmitter(
    pipeline,
    new IndexNames('wk', false),
    { redactions: [], parseJson: false, maxMessageBytes: 1 << 20, ...options },
    target,
    'f-',
    Buffer.from(',"file":{"path":"/x"}}}'),
  );
  return { sink, pipeline, emitter, target, metrics };
}

/** Parses YAML (for config snippets in tests). */
export function yaml(text: string): unknown {
  return parse(text);
}
