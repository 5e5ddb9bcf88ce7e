import { describe, expect, it } from 'vitest';
import { ChangeTracker } from '../../../audit/changes.ts';
import { changeText, patchFields } from '../../../audit/diff.ts';
import { auditEvent, deployment } from './support/events.ts';

const at = (s: number): string => new Date(Date.UTC(2026, 4, 1, 10, 0, s)).toISOString();
const base = { resource: 'deployments', apiGroup: 'apps', namespace: 'shop', name: 'web' };

describe('ChangeTracker', () => {
  it('diffs each write against the last known state, through scale, patch, update and delete', () => {
    const tracker = new ChangeTracker();
    expect(
      tracker.apply(
        auditEvent({
          ...base,
          verb: 'create',
          time: at(0),
          request: deployment('web', 3),
          response: deployment('web', 3),
        }),
      ).changes,
    ).toEqual([]);
    const scaled = tracker.apply(
      auditEvent({ ...base, verb: 'patch', subresource: 'scale', time: at(1), request: { spec: { replicas: 100 } } }),
    );
    expect(scaled).toEqual({
      basis: 'previous-state',
      changes: [{ path: 'spec.replicas', op: 'set', from: 3, to: 100 }],
    });
    const patched = tracker.apply(
      auditEvent({
        ...base,
        verb: 'patch',
        time: at(2),
        request: { spec: { template: { spec: { containers: [{ name: 'web', image: 'registry.example/web:2' }] } } } },
        response: deployment('web', 100, 'registry.example/web:2'),
      }),
    );
    expect(patched.basis).toBe('previous-state');
    expect(patched.changes.map(changeText)).toEqual([
      'spec.template.spec.containers[0].image: "registry.example/web:1" -> "registry.example/web:2"',
    ]);
    const updated = tracker.apply(
      auditEvent({ ...base, verb: 'update', time: at(3), request: deployment('web', 5, 'registry.example/web:2') }),
    );
    expect(updated.changes.map(changeText)).toEqual(['spec.replicas: 100 -> 5']);
    expect(tracker.apply(auditEvent({ ...base, verb: 'delete', time: at(4) })).changes).toEqual([]);
    const recreated = tracker.apply(
      auditEvent({ ...base, verb: 'patch', time: at(5), request: { spec: { replicas: 1 } } }),
    );
    expect(recreated).toMatchObject({ basis: 'request-body', changes: [{ path: 'spec.replicas', to: 1 }] });
  });

  it('names the level that would have recorded a change made at Metadata level, and what the shipper left out', () => {
    const tracker = new ChangeTracker();
    const blind = tracker.apply(auditEvent({ ...base, verb: 'patch', time: at(0), level: 'Metadata' }));
    expect(blind.changes).toEqual([]);
    expect(blind.note).toBe('recorded at Metadata level: the request body needs Request');
    const trimmed = tracker.apply(
      auditEvent({ ...base, verb: 'update', time: at(1), trimmed: ['requestObject:90000', 'responseObject:91000'] }),
    );
    expect(trimmed.note).toContain('not shipped (90000 bytes');
  });

  it('reports a denied write as not applied and keeps the state', () => {
    const tracker = new ChangeTracker();
    tracker.apply(auditEvent({ ...base, verb: 'create', time: at(0), response: deployment('web', 3) }));
    expect(
      tracker.apply(auditEvent({ ...base, verb: 'patch', subresource: 'scale', time: at(1), code: 403 })).note,
    ).toBe('not applied: HTTP 403');
    expect(
      tracker.apply(
        auditEvent({ ...base, verb: 'patch', subresource: 'scale', time: at(2), request: { spec: { replicas: 4 } } }),
      ).changes,
    ).toEqual([{ path: 'spec.replicas', op: 'set', from: 3, to: 4 }]);
  });
});

describe('patchFields', () => {
  it('reads merge patches (null removes) and JSON patches', () => {
    expect(patchFields({ metadata: { labels: { a: 'x', b: null } } }).map(changeText)).toEqual([
      'metadata.labels.a = "x"',
      'metadata.labels.b removed',
    ]);
    expect(
      patchFields([
        { op: 'replace', path: '/spec/replicas', value: 2 },
        { op: 'remove', path: '/metadata/labels/app~1tier' },
      ]).map(changeText),
    ).toEqual(['spec.replicas = 2', 'metadata.labels.app/tier removed']);
  });
});
