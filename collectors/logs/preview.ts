import { open } from 'node:fs/promises';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { LogsConfig } from './config.ts';
import { componentSuffix, containerSuffix } from './enrich/container-fields.ts';
import { pathMetadata } from './enrich/path-metadata.ts';
import { createLogsMetrics } from './metrics.ts';
import { AuditParser } from './parsers/audit.ts';
import { CriParser } from './parsers/cri.ts';
import { detectContainerFormat } from './parsers/detect.ts';
import { DockerParser } from './parsers/docker.ts';
import { KlogParser } from './parsers/klog.ts';
import type { LineParser } from './parsers/line-parser.ts';
import { AckTarget } from './pipeline/ack.ts';
import type { Batch } from './pipeline/batch.ts';
import { FileEmitter } from './pipeline/emitter.ts';
import { IndexNames } from './pipeline/index-names.ts';
import { containerMessageOptions } from './pipeline/message-options.ts';
import { Pipeline } from './pipeline/pipeline.ts';

/** Formats `logs tail` understands. */
export type PreviewFormat = 'auto' | 'cri' | 'docker' | 'klog' | 'audit';

/** Options of {@link previewFile}. */
export interface PreviewOptions {
  format: PreviewFormat;
  /** Component name for klog files. */
  component: string;
  logs: LogsConfig;
  /** Receives each document line: {"_index","_id","doc"}. */
  write(line: string): void;
}

/**
 * Runs a file through the same parsers and enrichment (path fields only) the agent uses and
 * writes what would be shipped, for debugging parsers. Returns the counters of problems seen.
 */
export async function previewFile(path: string, options: PreviewOptions): Promise<Record<string, number>> {
  const { logs } = options;
  const metrics = createLogsMetrics(new Registry());
  const sink = {
    name: 'preview',
    start: () => Promise.resolve(),
    write: (batch: Batch) => {
      for (let i = 0; i < batch.count; i++)
        options.write(`{"_index":"${batch.index(i)}","_id":"${batch.id(i)}","doc":${batch.doc(i).toString('utf8')}}`);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  const pipeline = new Pipeline({
    sink,
    batch: { ...logs.batch, concurrency: 1 },
    metrics,
    logger: pino({ level: 'silent' }),
  });
  const names = new IndexNames(logs.elasticsearch.indexPrefix, logs.elasticsearch.mode === 'datastream');
  const messages = containerMessageOptions(logs);
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const firstLine = head.subarray(0, bytesRead).toString('utf8').split('\n')[0] ?? '';
    const format =
      options.format === 'auto'
        ? firstLine.startsWith('{') && firstLine.includes('"auditID"')
          ? 'audit'
          : /^[IWEF]\d{4} /.test(firstLine)
            ? 'klog'
            : detectContainerFormat(firstLine)
        : options.format;
    const target = new AckTarget(0);
    const suffix =
      format === 'audit'
        ? Buffer.from('}')
        : format === 'klog'
          ? componentSuffix(path, options.component)
          : containerSuffix(path, pathMetadata(path), undefined);
    const emitter = new FileEmitter(pipeline, names, messages, target, 'preview-', suffix);
    const parser: LineParser =
      format === 'audit'
        ? new AuditParser(emitter, logs.auditProcessing, Number.POSITIVE_INFINITY)
        : format === 'klog'
          ? new KlogParser(emitter, options.component, messages.maxMessageBytes)
          : format === 'docker'
            ? new DockerParser(emitter, messages.maxMessageBytes)
            : new CriParser(emitter, messages.maxMessageBytes);
    let buf = Buffer.allocUnsafe(1 << 20);
    let carry = 0;
    let position = 0;
    for (;;) {
      if (carry === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, carry);
        buf = bigger;
      }
      const { bytesRead: n } = await handle.read(buf, carry, buf.length - carry, position + carry);
      const end = carry + n;
      const view = buf.subarray(0, end);
      let start = 0;
      for (let nl = view.indexOf(10, carry); nl >= 0; nl = view.indexOf(10, start)) {
        parser.line(buf, start, nl, position + start, position + nl + 1);
        start = nl + 1;
      }
      if (n === 0) {
        if (end > start) parser.line(buf, start, end, position + start, position + end);
        break;
      }
      buf.copyWithin(0, start, end);
      position += start;
      carry = end - start;
    }
    parser.idle();
    await pipeline.stop(10_000);
    return emitter.counters.errors;
  } finally {
    await handle.close();
  }
}
