import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { Config } from '../../core/config/schema.ts';
import type { Logger } from '../../core/log.ts';
import { maskUrlCredentials } from '../../core/url-credentials.ts';
import type { LogsConfig } from './config.ts';
import { componentSuffix, containerSuffix } from './enrich/container-fields.ts';
import { ExcludableParser, isExcluded } from './enrich/exclude.ts';
import { pathMetadata } from './enrich/path-metadata.ts';
import { noPodMetadata, type PodMetadataProvider } from './enrich/pod-metadata.ts';
import { createLogsMetrics, type LogsMetrics } from './metrics.ts';
import { AuditParser } from './parsers/audit.ts';
import { CriParser } from './parsers/cri.ts';
import { detectContainerFormat } from './parsers/detect.ts';
import { DockerParser } from './parsers/docker.ts';
import { KlogParser } from './parsers/klog.ts';
import { FileEmitter, type MessageOptions } from './pipeline/emitter.ts';
import { IndexNames } from './pipeline/index-names.ts';
import { containerMessageOptions } from './pipeline/message-options.ts';
import { Pipeline } from './pipeline/pipeline.ts';
import type { LogSink } from './sinks/types.ts';
import type { AuditWebhook } from './sources/audit-webhook.ts';
import { CheckpointStore } from './sources/checkpoint.ts';
import { FileSource } from './sources/file-source.ts';

/** Options of {@link startLogAgent}. */
export interface LogAgentOptions {
  config: LogsConfig;
  kubernetes: Config['kubernetes'];
  logger: Logger;
  registry: Registry;
  /** Replaces the API-backed pod cache (tests). */
  podMetadata?: PodMetadataProvider;
  /** How long stop() may wait for the sink. */
  stopTimeoutMs?: number;
  /** Wraps the configured sink, e.g. to observe what it acknowledged (wired by cli/). */
  wrapSink?: (sink: LogSink) => LogSink;
}

/** A running log shipper. */
export interface LogAgent {
  sources: FileSource[];
  pipeline: Pipeline;
  metrics: LogsMetrics;
  webhook?: AuditWebhook;
  /** Why the shipper cannot make progress right now (for /readyz), or undefined when it can. */
  problem(): string | undefined;
  /** Stops reading, sends what is buffered (bounded), persists checkpoints. */
  stop(): Promise<void>;
}

async function podMetadataFor(options: LogAgentOptions, logger: Logger): Promise<PodMetadataProvider> {
  if (options.podMetadata) return options.podMetadata;
  if (!options.config.enrichFromApi || !options.config.containers.enabled) return noPodMetadata;
  try {
    // Loaded only when needed: the Kubernetes client modules are large.
    const [{ resolveKubeAccess }, { KubeClient }, { kubePodMetadata }] = await Promise.all([
      import('../../core/kube/access.ts'),
      import('../../core/kube/client.ts'),
      import('./enrich/pod-metadata.ts'),
    ]);
    const access = await resolveKubeAccess({
      ...(options.kubernetes.kubeconfig ? { kubeconfig: options.kubernetes.kubeconfig } : {}),
      ...(options.kubernetes.context ? { context: options.kubernetes.context } : {}),
    });
    if (access.server.toLowerCase().startsWith('http://') && Object.keys(await access.authHeaders()).length > 0) {
      logger.warn(
        { server: maskUrlCredentials(access.server) },
        'Kubernetes credentials are sent in clear text over http://; use https://.',
      );
    }
    const nodeName = options.config.nodeName ?? (process.env.NODE_NAME || undefined);
    return kubePodMetadata(new KubeClient(access), { ...(nodeName ? { nodeName } : {}), logger });
  } catch (error) {
    logger.warn({ err: error }, 'No Kubernetes API access: container events carry the fields of their path only.');
    return noPodMetadata;
  }
}

/**
 * The configured sink. Each sink is loaded only when configured: the Elasticsearch client and
 * the directory sink are not both needed, and every module loaded stays in memory.
 */
async function configuredSink(config: LogsConfig, metrics: LogsMetrics, logger: Logger): Promise<LogSink> {
  if (config.sink === 'directory') {
    const { DirectorySink } = await import('./sinks/directory/sink.ts');
    return new DirectorySink(config.directory, metrics);
  }
  const { ElasticsearchSink } = await import('./sinks/elasticsearch/sink.ts');
  if (config.deadLetter.target !== 'file')
    return new ElasticsearchSink({ config: config.elasticsearch, metrics, logger });
  const { DeadLetterFile } = await import('./sinks/dead-letter.ts');
  const deadLetters = new DeadLetterFile(config.dataDir, {
    ...config.deadLetter,
    onDropped: (letters) => {
      metrics.deadLettersDropped.inc(letters);
      logger.warn({ letters }, 'The oldest dead-letter file was removed (logs.deadLetter.maxFiles).');
    },
  });
  return new ElasticsearchSink({ config: config.elasticsearch, metrics, logger, deadLetters });
}

/**
 * Starts the log shipper: container, component and audit file sources and the audit webhook,
 * one pipeline with end-to-end acknowledgement, and the configured sink.
 */
export async function startLogAgent(options: LogAgentOptions): Promise<LogAgent> {
  const { config } = options;
  const logger = options.logger.child({ component: 'logs' });
  const metrics = createLogsMetrics(options.registry);
  const checkpoints = new CheckpointStore(join(config.dataDir, 'checkpoints.json'));
  const loaded = await checkpoints.load();
  if (loaded.movedTo) {
    metrics.stateFilesCorrupt.inc({ file: 'checkpoints' });
    logger.error(
      { movedTo: loaded.movedTo, problem: loaded.problem },
      'The checkpoint file is unusable; it was moved aside and files are read from the configured start positions.',
    );
  }
  const abort = new AbortController();
  const configured = await configuredSink(config, metrics, logger);
  const sink = options.wrapSink ? options.wrapSink(configured) : configured;
  await sink.start(abort.signal);
  const pipeline = new Pipeline({ sink, batch: config.batch, metrics, logger });
  const names = new IndexNames(
    config.elasticsearch.indexPrefix,
    config.sink === 'elasticsearch' && config.elasticsearch.mode === 'datastream',
  );
  const pods = await podMetadataFor(options, logger);
  const messages = containerMessageOptions(config);
  const plain: MessageOptions = {
    redactions: messages.redactions,
    parseJson: false,
    maxMessageBytes: config.containers.maxMessageBytes,
  };
  const maxLineBytes = Math.max(config.containers.maxMessageBytes + 4096, config.tail.readBufferBytes);
  const common = { pipeline, checkpoints, fresh: loaded.fresh, tail: config.tail, maxLineBytes, logger, metrics };

  const containerFiles = new Map<string, { emitter: FileEmitter; parser: ExcludableParser; path: string }>();
  pods.onChange((namespace, pod) => {
    for (const file of containerFiles.values()) {
      const meta = pathMetadata(file.path);
      if (meta?.namespace !== namespace || meta.pod !== pod) continue;
      const info = pods.get(namespace, pod);
      file.emitter.suffix = containerSuffix(file.path, meta, info);
      file.parser.excluded = isExcluded(
        namespace,
        info?.annotations,
        config.containers.excludeNamespaces,
        config.containers.excludeAnnotation,
      );
    }
  });

  const sources: FileSource[] = [];
  if (config.containers.enabled) {
    sources.push(
      new FileSource('containers', {
        ...common,
        source: 'containers',
        patterns: config.containers.paths,
        startAt: config.containers.startAt,
        makeParser: (path, firstLine, target, idPrefix) => {
          const meta = pathMetadata(path);
          const info = meta ? pods.get(meta.namespace, meta.pod) : undefined;
          const emitter = new FileEmitter(
            pipeline,
            names,
            messages,
            target,
            idPrefix,
            containerSuffix(path, meta, info),
          );
          const format =
            config.containers.format === 'auto'
              ? detectContainerFormat(firstLine.toString('utf8'))
              : config.containers.format;
          const inner =
            format === 'docker'
              ? new DockerParser(emitter, messages.maxMessageBytes)
              : new CriParser(emitter, messages.maxMessageBytes);
          const parser = new ExcludableParser(
            inner,
            emitter,
            isExcluded(
              meta?.namespace,
              info?.annotations,
              config.containers.excludeNamespaces,
              config.containers.excludeAnnotation,
            ),
          );
          containerFiles.set(path, { emitter, parser, path });
          return { emitter, parser };
        },
      }),
    );
  }
  for (const component of config.components) {
    sources.push(
      new FileSource(`component:${component.name}`, {
        ...common,
        source: `component:${component.name}`,
        patterns: component.paths,
        startAt: component.startAt,
        makeParser: (path, _firstLine, target, idPrefix) => {
          const emitter = new FileEmitter(
            pipeline,
            names,
            plain,
            target,
            idPrefix,
            componentSuffix(path, component.name),
          );
          return { emitter, parser: new KlogParser(emitter, component.name, plain.maxMessageBytes) };
        },
      }),
    );
  }
  if (config.audit.paths.length > 0) {
    sources.push(
      new FileSource('audit', {
        ...common,
        source: 'audit',
        patterns: config.audit.paths,
        startAt: config.audit.startAt,
        maxLineBytes: config.audit.maxLineBytes,
        makeParser: (path, _firstLine, target, idPrefix) => {
          const emitter = new FileEmitter(pipeline, names, plain, target, idPrefix, Buffer.from('}'));
          return { emitter, parser: new AuditParser(emitter, config.auditProcessing, config.audit.maxLineBytes) };
        },
      }),
    );
  }
  for (const source of sources) await source.start();

  let webhook: AuditWebhook | undefined;
  if (config.auditWebhook.enabled) {
    const { startAuditWebhook } = await import('./sources/audit-webhook.ts');
    webhook = await startAuditWebhook({
      config: config.auditWebhook,
      dir: join(config.dataDir, 'audit-queue'),
      audit: config.auditProcessing,
      pipeline,
      names,
      metrics,
      logger,
    });
  }

  let saving = false;
  const checkpointTimer = setInterval(() => {
    if (saving) return;
    saving = true;
    checkpoints
      .save()
      .catch((error: unknown) => logger.error({ err: error }, 'Cannot persist checkpoints.'))
      .finally(() => {
        saving = false;
        metrics.checkpointAge.set((Date.now() - checkpoints.savedAt) / 1000);
      });
  }, config.checkpointIntervalMs);
  logger.info({ sources: sources.map((s) => s.name), sink: sink.name, webhook: webhook?.url }, 'Log shipper started.');

  return {
    sources,
    pipeline,
    metrics,
    ...(webhook ? { webhook } : {}),
    problem: () => pipeline.failure ?? webhook?.problem(),
    async stop() {
      clearInterval(checkpointTimer);
      await webhook?.close();
      await Promise.all(sources.map((s) => s.stop()));
      await pipeline.stop(options.stopTimeoutMs ?? 10_000);
      abort.abort();
      await webhook?.flush();
      await checkpoints.save();
      await pods.stop();
      logger.info('Log shipper stopped.');
    },
  };
}
