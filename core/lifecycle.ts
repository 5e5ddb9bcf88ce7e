import type { Logger } from './log.ts';

/** Something that runs until told to stop, and flushes what it holds when it stops. */
export interface Component {
  /** Used in logs. */
  name: string;
  /** Stops and flushes; the lifecycle bounds how long it may take. */
  stop(): Promise<void>;
}

/** Options of {@link Lifecycle}. */
export interface LifecycleOptions {
  logger: Logger;
  /** How long all components together may take to stop before the process exits anyway. */
  stopTimeoutMs: number;
  /** Called on a second signal; default process.exit. Replaceable in tests. */
  exit?: (code: number) => void;
}

/**
 * Owns the components of a long-running mode. On SIGTERM or SIGINT it stops them in reverse start
 * order within a bounded time, after which {@link Lifecycle.stopped} resolves and the mode returns;
 * a second signal exits the process at once.
 */
export class Lifecycle {
  private readonly components: Component[] = [];
  private stopping: Promise<void> | undefined;
  private readonly options: LifecycleOptions;
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    if (this.stopping) {
      this.options.logger.warn({ signal }, 'Second signal: exiting now.');
      this.exit(130);
      return;
    }
    this.options.logger.info({ signal }, 'Stopping.');
    void this.stop();
  };

  constructor(options: LifecycleOptions) {
    this.options = options;
  }

  /** Registers a started component; it will be stopped before every component added earlier. */
  add(component: Component): void {
    this.components.push(component);
  }

  /** Installs the SIGTERM and SIGINT handlers. */
  handleSignals(): void {
    process.on('SIGTERM', this.onSignal);
    process.on('SIGINT', this.onSignal);
  }

  /** Resolves once stop() has finished (after a signal or a direct call). */
  stopped(): Promise<void> {
    return new Promise((resolve) => {
      const wait = (): void => {
        if (this.stopping) void this.stopping.then(resolve);
        else setTimeout(wait, 50);
      };
      wait();
    });
  }

  /** Stops every component in reverse order; each failure is logged, none stops the others. */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    const { logger, stopTimeoutMs } = this.options;
    const deadline = Date.now() + stopTimeoutMs;
    for (const component of [...this.components].reverse()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        logger.error({ component: component.name }, 'Stop time is up: skipping the remaining components.');
        break;
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), remaining);
      });
      try {
        const result = await Promise.race([component.stop().then(() => 'stopped' as const), timeout]);
        if (result === 'timeout') logger.error({ component: component.name }, 'Component did not stop in time.');
        else logger.debug({ component: component.name }, 'Component stopped.');
      } catch (error) {
        logger.error({ err: error, component: component.name }, 'Component failed to stop cleanly.');
      } finally {
        clearTimeout(timer);
      }
    }
    process.off('SIGTERM', this.onSignal);
    process.off('SIGINT', this.onSignal);
  }

  private exit(code: number): void {
    (this.options.exit ?? process.exit)(code);
  }
}
