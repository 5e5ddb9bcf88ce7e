import { hostname } from 'node:os';
import { describeError } from '../core/errors.ts';
import { resolveKubeAccess } from '../core/kube/access.ts';
import { KubeClient } from '../core/kube/client.ts';
import { LeaderElector } from '../core/kube/lease.ts';
import type { ServiceContext } from '../core/service.ts';
import { classifyBackups, listBackups } from './catalog.ts';
import type { ScheduleConfig } from './config.ts';
import { backupContext, type BackupContext } from './context.ts';
import { runEtcdBackup, storedBytes } from './etcd/backup.ts';
import { BackupMetrics } from './metrics.ts';
import { pruneBackups } from './prune.ts';
import { BackupScheduler } from './schedule.ts';
import { kindPrefix } from './storage/layout.ts';
import { runApiBackup } from './api/backup.ts';
import { apiBackupSection } from './api/config.ts';
import { ApiBackupMetrics } from './api/metrics.ts';

/** Hooks for tests: a ready-made context or Kubernetes client. */
export interface DaemonOverrides {
  context?: BackupContext;
  kubeClient?: KubeClient;
  identity?: string;
}

/** What {@link startBackupDaemon} started. */
export interface BackupDaemon {
  scheduler: BackupScheduler;
  elector: LeaderElector | undefined;
  stop(): Promise<void>;
}

/**
 * Starts the `watchkeeper backup` mode: the configured schedules, armed only while this replica
 * holds the Lease (when leader election is enabled). Registers itself with the lifecycle.
 */
export async function startBackupDaemon(
  ctx: Pick<ServiceContext, 'config' | 'logger' | 'registry' | 'lifecycle'> & Partial<Pick<ServiceContext, 'status'>>,
  overrides: DaemonOverrides = {},
): Promise<BackupDaemon> {
  const { config } = ctx;
  const logger = ctx.logger.child({ component: 'backup' });
  const backup = overrides.context ?? (await backupContext(config));
  const metrics = new BackupMetrics(ctx.registry);
  const schedules = new Map(config.backup.schedules.map((s) => [s.name, s]));
  const apiMetrics = config.backup.schedules.some((s) => s.kind === 'api')
    ? new ApiBackupMetrics(ctx.registry)
    : undefined;
  let kubeClient = overrides.kubeClient;
  const kube = async (): Promise<KubeClient> =>
    (kubeClient ??= new KubeClient(
      await resolveKubeAccess({
        ...(config.kubernetes.kubeconfig ? { kubeconfig: config.kubernetes.kubeconfig } : {}),
        ...(config.kubernetes.context ? { context: config.kubernetes.context } : {}),
      }),
    ));
  if (schedules.size === 0) logger.warn('No backup schedules are configured (backup.schedules): nothing will run.');

  const scheduler = new BackupScheduler({
    backups: config.backup.schedules,
    metrics,
    logger,
    // A planted or future-dated backup must not look like a recent success and suppress catch-up.
    lastSuccess: async (b) => {
      const kind = b.kind === 'api' ? 'api' : 'etcd';
      const listed = (await listBackups(backup.storage, backup.root, kind)).filter((e) => e.name === b.name);
      const { trusted } = await classifyBackups(backup.storage, backup.root, listed.slice(-5), { key: backup.key });
      return trusted.at(-1)?.completedAt;
    },
    run: async (b, signal) => {
      const schedule = schedules.get(b.name) as ScheduleConfig;
      // The signal aborts when the Lease is lost: another replica may be running this backup now.
      const manifest =
        schedule.kind === 'api'
          ? await runApiBackup({
              storage: backup.storage,
              root: backup.root,
              client: await kube(),
              name: b.name,
              api: schedule.api ?? apiBackupSection.parse({}),
              encryptionKey: backup.encryptionKey,
              logger,
              signal,
              observer: {
                onObjects: (resource, count) => apiMetrics?.objects.set({ name: b.name, resource }, count),
                onError: (reason) => apiMetrics?.errors.inc({ name: b.name, reason }),
              },
            })
          : await runEtcdBackup({
              storage: backup.storage,
              root: backup.root,
              name: b.name,
              etcd: config.backup.etcd,
              encryptionKey: backup.encryptionKey,
              logger,
              signal,
            });
      if (schedule.retention && !signal.aborted) {
        try {
          await pruneBackups({
            storage: backup.storage,
            root: backup.root,
            kind: schedule.kind,
            name: b.name,
            policy: schedule.retention,
            dryRun: false,
            logger,
            metrics,
            key: backup.key,
          });
        } catch (error) {
          // The backup itself succeeded; a failed prune is retried after the next success.
          logger.error({ backup: b.name, error: describeError(error) }, 'Retention failed.');
        }
      }
      return { bytes: storedBytes(manifest) };
    },
  });

  let elector: LeaderElector | undefined;
  const election = config.backup.leaderElection;
  if (election.enabled) {
    const client = await kube();
    const identity = overrides.identity ?? election.identity ?? process.env.POD_NAME ?? `${hostname()}-${process.pid}`;
    elector = new LeaderElector({
      client,
      namespace: election.namespace,
      name: election.leaseName,
      identity,
      leaseDurationMs: election.leaseDurationSeconds * 1000,
      renewDeadlineMs: election.renewDeadlineSeconds * 1000,
      retryPeriodMs: election.retryPeriodSeconds * 1000,
      onStartedLeading: (signal) => {
        logger.info({ identity }, 'Became the backup leader.');
        scheduler.activate(signal);
      },
      onStoppedLeading: () => {
        logger.info({ identity }, 'No longer the backup leader.');
      },
      onError: (error) => {
        logger.debug({ error: describeError(error) }, 'Lease attempt failed.');
      },
    });
    elector.start();
  } else {
    scheduler.activate();
  }
  ctx.status?.addReadiness({
    name: 'backup-storage',
    check: async () => {
      await backup.storage.head(`${kindPrefix(backup.root, 'etcd')}readiness-probe`);
      return true;
    },
  });

  const daemon: BackupDaemon = {
    scheduler,
    elector,
    stop: async () => {
      await elector?.stop();
      await scheduler.deactivate();
      backup.storage.close?.();
      if (!overrides.kubeClient) kubeClient?.close();
    },
  };
  ctx.lifecycle.add({ name: 'backup-scheduler', stop: () => daemon.stop() });
  return daemon;
}
