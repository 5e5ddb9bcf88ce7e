import { validate as validateCron } from 'node-cron';
import { z } from 'zod';
import { policyKeepsNothing } from './retention.ts';
import { apiBackupSection } from './api/config.ts';

/** A DNS-1123 label, used for backup names (they appear in object keys and metric labels). */
const backupName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/, 'a DNS-1123 label of at most 40 characters such as "etcd-hourly"');

/** A duration such as "36h", "7d", "2w", "1y2m" (y = 365d, m = 30d, w = 7d). */
export const durationText = z
  .string()
  .regex(/^(\d+[ywmdh])+$/, 'a duration such as "36h", "7d" or "1y6m" (units y m w d h)');

/** S3 (or S3-compatible) storage settings. */
const s3Section = z
  .strictObject({
    bucket: z.string().min(3).describe('Bucket that holds the backups; it must exist.'),
    endpoint: z
      .url()
      .optional()
      .describe('Endpoint of an S3-compatible server (MinIO, Ceph, ...); default: AWS for the region.'),
    region: z.string().min(1).default('us-east-1').describe('Region of the bucket.'),
    forcePathStyle: z
      .boolean()
      .default(false)
      .describe('Use path-style URLs (http://host/bucket/key); most S3-compatible servers need it.'),
    accessKeyId: z
      .string()
      .min(1)
      .optional()
      .describe("Access key id; default: the AWS SDK's credential chain (environment, profile, IRSA, instance role)."),
    secretAccessKey: z.string().min(1).optional().describe('Secret access key that goes with accessKeyId.'),
    serverSideEncryption: z
      .enum(['none', 'AES256', 'aws:kms'])
      .default('none')
      .describe("Server-side encryption: 'AES256' is SSE-S3, 'aws:kms' is SSE-KMS (see kmsKeyId)."),
    kmsKeyId: z
      .string()
      .min(1)
      .optional()
      .describe("KMS key id or ARN for 'aws:kms'; default: the bucket's AWS managed key."),
    storageClass: z
      .string()
      .min(1)
      .optional()
      .describe('Storage class of uploaded objects, e.g. STANDARD_IA; default: the bucket default.'),
    partSizeMiB: z
      .number()
      .int()
      .min(5)
      .max(512)
      .default(5)
      .describe(
        'Multipart upload part size; an upload holds partSizeMiB x (queueSize + 1) in memory. S3 allows 10,000 parts, so 5 MiB parts hold objects up to ~48 GiB.',
      ),
    queueSize: z.number().int().min(1).max(16).default(2).describe('Parts uploaded in parallel.'),
  })
  .refine((s) => (s.accessKeyId === undefined) === (s.secretAccessKey === undefined), {
    message: 'accessKeyId and secretAccessKey must be given together',
  });

/** Where backups are stored. */
const storageSection = z
  .strictObject({
    type: z
      .enum(['directory', 's3'])
      .default('directory')
      .describe("'directory' (a local or mounted directory) or 's3'."),
    prefix: z
      .string()
      .regex(
        /^([A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*)?$/,
        'a key prefix without leading or trailing "/" such as "backups/prod"',
      )
      .default('watchkeeper')
      .describe('First part of every object key: <prefix>/<cluster>/<kind>/<backup-id>/...'),
    directory: z
      .string()
      .min(1)
      .default('/var/lib/watchkeeper/backups')
      .describe("Root directory when type is 'directory'."),
    s3: s3Section.optional().describe("S3 settings; required when type is 's3'."),
  })
  .refine((s) => s.type !== 's3' || s.s3 !== undefined, {
    message: "type 's3' needs the s3 settings (at least s3.bucket)",
    path: ['s3'],
  });

/** Client-side encryption of backup contents. */
const encryptionSection = z.strictObject({
  enabled: z
    .boolean()
    .default(false)
    .describe('Encrypt every stored object with AES-256-GCM before upload; a backup fails when no key is found.'),
  keyFile: z
    .string()
    .min(1)
    .optional()
    .describe('File holding the 32-byte key (raw, 64 hex characters or base64); wins over keyEnv.'),
  keyEnv: z
    .string()
    .min(1)
    .default('WATCHKEEPER_BACKUP_KEY')
    .describe('Environment variable holding the key (hex or base64).'),
});

/** How to reach etcd and what a snapshot contains. */
const etcdSection = z
  .strictObject({
    endpoints: z
      .array(z.url())
      .min(1)
      .default(['https://127.0.0.1:2379'])
      .describe(
        'Client URLs of the etcd members; the snapshot is taken from one healthy member, a follower when possible.',
      ),
    caFile: z
      .string()
      .min(1)
      .optional()
      .describe('CA bundle of the etcd server certificates, e.g. /etc/kubernetes/pki/etcd/ca.crt.'),
    certFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Client certificate, e.g. /etc/kubernetes/pki/etcd/healthcheck-client.crt or /etc/kubernetes/pki/apiserver-etcd-client.crt.',
      ),
    keyFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Client key, e.g. /etc/kubernetes/pki/etcd/healthcheck-client.key or /etc/kubernetes/pki/apiserver-etcd-client.key.',
      ),
    username: z.string().min(1).optional().describe('etcd user (when etcd auth is enabled).'),
    password: z.string().min(1).optional().describe('Password of the etcd user; prefer passwordFile.'),
    passwordFile: z.string().min(1).optional().describe('File holding the password of the etcd user.'),
    preferFollower: z
      .boolean()
      .default(true)
      .describe('Take the snapshot from a follower so that the leader is not loaded.'),
    dialTimeoutSeconds: z
      .number()
      .positive()
      .max(120)
      .default(5)
      .describe('How long to wait for each member to answer its status.'),
    compression: z.enum(['zstd', 'gzip', 'none']).default('zstd').describe('Compression of the stored snapshot.'),
    files: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Control-plane files or directories a restore needs that etcd does not hold, e.g. /etc/kubernetes/pki, /etc/kubernetes/admin.conf and the encryption provider config. Stored encrypted.',
      ),
    allowUnencryptedFiles: z
      .boolean()
      .default(false)
      .describe(
        'Store the control-plane files without client-side encryption (they hold private keys); refused unless true.',
      ),
  })
  .refine((e) => (e.certFile === undefined) === (e.keyFile === undefined), {
    message: 'certFile and keyFile must be given together',
  })
  .refine((e) => e.username !== undefined || (e.password === undefined && e.passwordFile === undefined), {
    message: 'password needs username',
  });

/** Which backups to keep; unset rules keep nothing by themselves. Calendar units are in UTC. */
export const retentionSection = z
  .strictObject({
    keepLast: z.number().int().min(0).optional().describe('Keep the newest N backups.'),
    keepHourly: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Keep the newest backup of each of the last N hours that have one.'),
    keepDaily: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Keep the newest backup of each of the last N days that have one.'),
    keepWeekly: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Keep the newest backup of each of the last N ISO weeks that have one.'),
    keepMonthly: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Keep the newest backup of each of the last N months that have one.'),
    keepYearly: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Keep the newest backup of each of the last N years that have one.'),
    keepWithin: durationText
      .optional()
      .describe('Keep every backup taken within this duration before the newest one, e.g. "2d".'),
  })
  .refine((p) => !policyKeepsNothing(p), {
    message:
      'a retention policy must keep something (at least one keep rule above 0); omit retention to keep every backup',
  });

/** One scheduled backup of `watchkeeper backup`. */
const scheduleSection = z
  .strictObject({
    name: backupName.describe('Name of this backup; part of backup ids and the `name` metric label.'),
    kind: z
      .enum(['etcd', 'api'])
      .default('etcd')
      .describe(
        "What is backed up: 'etcd' (a snapshot plus the configured control-plane files) or 'api' (label-selected API objects, see api).",
      ),
    api: apiBackupSection
      .optional()
      .describe(
        "With kind 'api': what is selected and how it is stored; unset selects every object with the defaults.",
      ),
    cron: z
      .string()
      .refine(
        (c) => validateCron(c),
        'a cron expression such as "0 * * * *" (minute hour day month weekday, optional seconds first)',
      )
      .describe('When to run, as a cron expression (node-cron syntax).'),
    timezone: z
      .string()
      .min(1)
      .optional()
      .describe('Time zone of the cron expression, e.g. Europe/Paris; default UTC.'),
    catchUp: z
      .boolean()
      .default(true)
      .describe(
        'At start, run once at once when the newest successful backup of this name is older than the cron period.',
      ),
    retention: retentionSection.optional().describe('Retention applied after each success; unset keeps everything.'),
  })
  .refine((s) => s.api === undefined || s.kind === 'api', { message: "api settings need kind: 'api'", path: ['api'] });

/** Leader election of the backup scheduler, so that only one replica runs the schedules. */
const leaderElectionSection = z.strictObject({
  enabled: z.boolean().default(true).describe('Run schedules only while holding the Lease.'),
  namespace: z.string().min(1).default('kube-system').describe('Namespace of the Lease.'),
  leaseName: z.string().min(1).default('watchkeeper-backup').describe('Name of the Lease.'),
  identity: z
    .string()
    .min(1)
    .optional()
    .describe('Holder identity written in the Lease; default: $POD_NAME or the host name plus pid.'),
  leaseDurationSeconds: z
    .number()
    .int()
    .min(2)
    .max(300)
    .default(15)
    .describe('How long a Lease stays valid without renewal.'),
  renewDeadlineSeconds: z
    .number()
    .int()
    .min(1)
    .max(300)
    .default(10)
    .describe('The leader gives up when it cannot renew for this long.'),
  retryPeriodSeconds: z
    .number()
    .int()
    .min(1)
    .max(60)
    .default(2)
    .describe('How often candidates try to take or renew the Lease.'),
});

/** External tools used by restore and verify. */
const toolsSection = z.strictObject({
  binDir: z.string().min(1).optional().describe('Directory holding etcdutl, etcdctl and etcd; default: $PATH.'),
});

/** The `backup:` section: where backups go and which backups run on which schedule. */
export const backupSection = z
  .strictObject({
    storage: storageSection.prefault({}),
    encryption: encryptionSection.prefault({}),
    etcd: etcdSection.prefault({}),
    schedules: z
      .array(scheduleSection)
      .default([])
      .describe('Backups run by `watchkeeper backup` on their cron schedules.'),
    leaderElection: leaderElectionSection.prefault({}),
    tools: toolsSection.prefault({}),
  })
  .refine((b) => new Set(b.schedules.map((s) => s.name)).size === b.schedules.length, {
    message: 'schedule names must be unique',
    path: ['schedules'],
  });

/** The validated `backup:` section. */
export type BackupConfig = z.infer<typeof backupSection>;
/** Storage settings. */
export type StorageConfig = BackupConfig['storage'];
/** etcd settings. */
export type EtcdConfig = BackupConfig['etcd'];
/** One schedule. */
export type ScheduleConfig = BackupConfig['schedules'][number];
