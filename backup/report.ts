import { formatTable } from '../core/table.ts';
import type { BackupEntry } from './catalog.ts';
import type { Manifest } from './manifest.ts';
import { formatBytes } from './progress.ts';
import type { PruneResult } from './prune.ts';
import type { VerifyResult } from './verify.ts';

/** `backups list` as a table. */
export function formatBackupList(entries: readonly BackupEntry[]): string {
  if (entries.length === 0) return 'No backups.\n';
  return formatTable(
    ['ID', 'KIND', 'NAME', 'STARTED', 'COMPLETED'],
    entries.map((e) => [e.id, e.kind, e.name, e.startedAt.toISOString(), e.completedAt.toISOString()]),
  );
}

/** `backups list -o json`. */
export function backupListJson(entries: readonly BackupEntry[]): unknown {
  return entries.map((e) => ({
    id: e.id,
    kind: e.kind,
    name: e.name,
    startedAt: e.startedAt.toISOString(),
    completedAt: e.completedAt.toISOString(),
  }));
}

/** `backups describe` for people. */
export function formatManifest(manifest: Manifest): string {
  const lines = [
    `ID:          ${manifest.id}`,
    `Kind:        ${manifest.kind}`,
    `Name:        ${manifest.name}`,
    `Cluster:     ${manifest.cluster}`,
    `Started:     ${manifest.startedAt}`,
    `Completed:   ${manifest.completedAt}`,
    `Format:      ${manifest.formatVersion}, ${manifest.authentication ? `authenticated by key ${manifest.authentication.keyId}` : 'not authenticated (origin cannot be verified)'}`,
  ];
  if (manifest.etcd) {
    const e = manifest.etcd;
    lines.push(
      `etcd member: ${e.memberName || '?'} (${e.memberId}) at ${e.endpoint}${e.wasLeader ? ', leader' : ', follower'}`,
      `etcd:        cluster ${e.clusterId}, version ${e.etcdVersion}, revision ${e.revision}`,
      `Database:    ${formatBytes(e.dbSize)} (${e.dbSize} bytes), sha256 ${e.dbSha256}`,
    );
  }
  lines.push(
    '',
    formatTable(
      ['FILE', 'STORED', 'CONTENT', 'COMPRESSION', 'ENCRYPTION', 'SHA256 (STORED)'],
      manifest.objects.map((o) => [
        o.file,
        formatBytes(o.size),
        formatBytes(o.contentSize),
        o.compression,
        o.encryption ? `key ${o.encryption.keyId}` : 'none',
        o.sha256,
      ]),
    ).trimEnd(),
  );
  if (manifest.files && manifest.files.length > 0)
    lines.push(
      '',
      `Control-plane files (${manifest.files.length}):`,
      ...manifest.files.map((f) => `  ${f.path} (${f.size} bytes)`),
    );
  return `${lines.join('\n')}\n`;
}

/** `backups verify` for people. */
export function formatVerify(result: VerifyResult): string {
  const table = formatTable(
    ['FILE', 'SIZE', 'CHECKED'],
    result.objects.map((o) => [
      o.file,
      formatBytes(o.size),
      o.checked === 'stored'
        ? 'stored bytes only (no key)'
        : o.role === 'etcd-snapshot'
          ? 'stored bytes, content, etcd hash'
          : 'stored bytes, content',
    ]),
  );
  const restore =
    'keys' in result.restore
      ? `Restore test: etcd started on the restored data, ${result.restore.keys} keys at revision ${result.restore.revision}.`
      : `Restore test skipped: ${result.restore.skipped}.`;
  return `Backup ${result.manifest.id}: OK\n${table}${restore}\n`;
}

/** `backups verify -o json`. */
export function verifyJson(result: VerifyResult): unknown {
  return { id: result.manifest.id, ok: true, objects: result.objects, restore: result.restore };
}

/** `backups prune` for people. */
export function formatPrune(result: PruneResult, dryRun: boolean): string {
  const rows = [
    ...result.decision.keep.map((b) => [b.id, 'keep', b.reasons.join(', ')]),
    ...result.decision.remove.map((b) => [b.id, dryRun ? 'would delete' : 'deleted', '']),
    ...result.incomplete.map((id) => [
      id,
      dryRun ? 'would delete (incomplete)' : 'deleted (incomplete)',
      'failed run, no manifest',
    ]),
    ...result.untrusted.map((b) => [b.id, 'ignored (untrusted)', b.reason.split('\n')[0]!.slice(0, 100)]),
  ].sort((a, b) => (a[0]! < b[0]! ? 1 : -1));
  return (
    formatTable(['ID', 'ACTION', 'KEPT BY'], rows) +
    `${result.decision.keep.length} kept, ${dryRun ? `${result.decision.remove.length} would be deleted` : `${result.deleted.length} deleted`}${dryRun ? ' (dry run)' : ''}.\n`
  );
}

/** `backups prune -o json`. */
export function pruneJson(result: PruneResult, dryRun: boolean): unknown {
  return {
    dryRun,
    keep: result.decision.keep.map((b) => ({ id: b.id, reasons: b.reasons })),
    remove: result.decision.remove.map((b) => b.id),
    deleted: result.deleted,
    incomplete: result.incomplete,
    untrusted: result.untrusted.map((b) => ({ id: b.id, reason: b.reason })),
  };
}
