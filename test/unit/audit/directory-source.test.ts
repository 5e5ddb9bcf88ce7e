import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { history } from '../../../audit/questions/history.ts';
import { userActivity } from '../../../audit/questions/user.ts';
import { who } from '../../../audit/questions/who.ts';
import { DirectoryAuditSource } from '../../../audit/sources/directory.ts';
import { auditEvent, deployment, sinkLine } from './support/events.ts';

const t0 = Date.UTC(2026, 4, 1, 10, 0, 0);
const at = (s: number): string => new Date(t0 + s * 1000).toISOString();
const range = { since: new Date(t0), until: new Date(t0 + 3600_000) };
const web = { resource: 'deployments', apiGroup: 'apps', namespace: 'shop', name: 'web' };

function sinkDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wk-audit-dir-'));
  const create = auditEvent({ ...web, verb: 'create', user: 'alice', time: at(10), response: deployment('web', 3) });
  const scale = auditEvent({
    ...web,
    verb: 'patch',
    subresource: 'scale',
    user: 'bob',
    time: at(20),
    request: { spec: { replicas: 100 } },
  });
  const status = auditEvent({
    ...web,
    verb: 'update',
    subresource: 'status',
    user: 'system:serviceaccount:kube-system:deployment-controller',
    time: at(21),
    request: { ...deployment('web', 100), status: { replicas: 100 } },
    response: { ...deployment('web', 100), status: { replicas: 100 } },
  });
  const removed = auditEvent({ ...web, verb: 'delete', user: 'carol', time: at(30) });
  const before = auditEvent({ ...web, verb: 'delete', user: 'old', time: new Date(t0 - 1000).toISOString() });
  const received = auditEvent({ ...web, verb: 'delete', user: 'carol', time: at(30), stage: 'RequestReceived' });
  // Rotated file: older events, a garbage line and a container log line; the live file repeats one event (at least once).
  writeFileSync(
    join(dir, 'events-2026-05-01T10-00-25-000Z.ndjson'),
    [
      sinkLine(before),
      sinkLine(create),
      'not json at all\n',
      '{"_index":"watchkeeper-logs-2026.05.01","_id":"x","doc":{"@timestamp":"2026-05-01T10:00:11Z","message":"\\"web\\" deployments"}}\n',
      sinkLine(scale),
    ].join(''),
  );
  writeFileSync(
    join(dir, 'current.ndjson'),
    [sinkLine(scale), sinkLine(status), sinkLine(received), sinkLine(removed).trimEnd()].join(''),
  );
  return dir;
}

describe('DirectoryAuditSource and the questions over it', () => {
  it('answers who scaled and who deleted, once per event, with the change', async () => {
    const source = new DirectoryAuditSource(sinkDir());
    const scaled = await who(source, {
      verb: 'scale',
      ref: { resource: 'deployments', name: 'web' },
      namespace: 'shop',
      ...range,
    });
    expect(scaled.rows.map((r) => [r.user, r.change?.changes])).toEqual([
      ['bob', [{ path: 'spec.replicas', op: 'set', from: 3, to: 100 }]],
    ]);
    const deleted = await who(source, {
      verb: 'delete',
      ref: { resource: 'deployments', name: 'web' },
      namespace: 'shop',
      ...range,
    });
    expect(deleted.rows.map((r) => [r.user, r.time, r.actor])).toEqual([['carol', at(30), 'person']]);
    // The object's four writes are read to follow its state; the scale stored twice counts once.
    expect(deleted.stats).toMatchObject({ matched: 4 });
    const nobody = await who(source, {
      verb: 'delete',
      ref: { resource: 'pods', name: 'web' },
      namespace: 'shop',
      ...range,
    });
    expect(nobody.rows).toEqual([]);
    // Nothing matched: every line was counted, the garbage one as unreadable.
    expect(nobody.stats).toEqual({ matched: 0, inRange: 6, unreadable: 1 });
  });

  it("tells the object's story in time order, controllers apart from people", async () => {
    const answer = await history(new DirectoryAuditSource(sinkDir()), {
      ref: { resource: 'deployments', name: 'web' },
      namespace: 'shop',
      ...range,
    });
    expect(answer.rows.map((r) => `${r.verb}${r.subresource ? `/${r.subresource}` : ''} ${r.user} ${r.actor}`)).toEqual(
      [
        'create alice person',
        'patch/scale bob person',
        'update/status system:serviceaccount:kube-system:deployment-controller controller',
        'delete carol person',
      ],
    );
    expect(answer.rows[2]!.change?.changes).toEqual([{ path: 'status', op: 'add', to: { replicas: 100 } }]);
  });

  it('groups what a user did by verb and resource', async () => {
    const answer = await userActivity(new DirectoryAuditSource(sinkDir()), 'carol', range.since, range.until);
    expect(answer.activity).toEqual([
      expect.objectContaining({ verb: 'delete', resource: 'deployments', count: 1, failed: 0, examples: ['shop/web'] }),
    ]);
  });

  it('reads a line longer than one read (the buffer grows)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wk-audit-long-'));
    const big = auditEvent({ ...web, verb: 'delete', user: 'dora', time: at(40) });
    big.annotations = { note: 'x'.repeat(9 << 20) };
    writeFileSync(
      join(dir, 'current.ndjson'),
      sinkLine(auditEvent({ ...web, verb: 'create', user: 'alice', time: at(39) })) + sinkLine(big),
    );
    const answer = await who(new DirectoryAuditSource(dir), {
      verb: 'delete',
      ref: { resource: 'deployments', name: 'web' },
      namespace: 'shop',
      ...range,
    });
    expect(answer.rows.map((r) => r.user)).toEqual(['dora']);
  });

  it('says the sink directory does not exist instead of answering nothing', async () => {
    await expect(
      userActivity(new DirectoryAuditSource('/nonexistent/wk'), 'x', range.since, range.until),
    ).rejects.toThrow(/does not exist/);
  });
});

describe('table output', () => {
  it('shows control characters from API clients as escapes, so they cannot rewrite the terminal', async () => {
    const { formatActions } = await import('../../../audit/format.ts');
    const dir = mkdtempSync(join(tmpdir(), 'wk-audit-esc-'));
    const event = auditEvent({ ...web, verb: 'delete', user: 'mallory', time: at(5) });
    event.userAgent = 'kubectl\u001b[2K\rforged line';
    writeFileSync(join(dir, 'current.ndjson'), sinkLine(event));
    const answer = await who(new DirectoryAuditSource(dir), {
      verb: 'delete',
      ref: { resource: 'deployments', name: 'web' },
      namespace: 'shop',
      ...range,
    });
    const text = formatActions(answer);
    expect(text).toContain('agent: kubectl\\u001b[2K\\u000dforged line');
    expect(text).not.toContain('\u001b');
    expect(text).not.toContain('\r');
  });
});
