import type { Registry } from 'prom-client';
import type { Config } from './config/schema.ts';
import { startStatusServer, type StatusServer } from './http/status-server.ts';
import { Lifecycle } from './lifecycle.ts';
import { createLogger, type Logger } from './log.ts';
import { createRegistry } from './metrics.ts';

/** What a long-running mode gets to build its components with. */
export interface ServiceContext {
  config: Config;
  /** Root logger; take a child per component. */
  logger: Logger;
  /** The process's metric registry; pass it to every component. */
  registry: Registry;
  /** The self-monitoring server; add readiness checks to it. */
  status: StatusServer;
  /** Register each started component here so that it is stopped on SIGTERM. */
  lifecycle: Lifecycle;
}

/** Options of {@link runService}. */
export interface RunServiceOptions {
  /** Mode name, e.g. 'agent', used as the build_info label and in logs. */
  mode: string;
  config: Config;
  /** Starts the mode's components and registers them with ctx.lifecycle. */
  start(ctx: ServiceContext): Promise<void>;
  /** Replaces the logger (tests). */
  logger?: Logger;
}

/**
 * Runs a long-lived mode: logger, registry, /metrics /healthz /readyz, the components, then waits
 * for SIGTERM/SIGINT and stops everything in reverse order. Resolves when stopped.
 */
export async function runService(options: RunServiceOptions): Promise<void> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ level: config.log.level, format: config.log.format });
  const registry = createRegistry(options.mode);
  const lifecycle = new Lifecycle({ logger, stopTimeoutMs: config.shutdownTimeoutSeconds * 1000 });
  lifecycle.handleSignals();
  const status = await startStatusServer({ host: config.server.host, port: config.server.port, registry, logger });
  lifecycle.add({ name: 'status-server', stop: () => status.close() });
  try {
    await options.start({ config, logger, registry, status, lifecycle });
  } catch (error) {
    await lifecycle.stop();
    throw error;
  }
  logger.info({ mode: options.mode, status: status.url }, 'Started.');
  await lifecycle.stopped();
  logger.info({ mode: options.mode }, 'Stopped.');
}
