import { describe, expect, it } from 'vitest';
import { isPodReady, notReadyReason, quantile, summariseNotReady, type Pod } from '../../../prober/pods.ts';

const pending = (name: string, scheduled?: { status: string; message: string }): Pod => ({
  metadata: { name },
  spec: {},
  status: {
    phase: 'Pending',
    conditions: scheduled ? [{ type: 'PodScheduled', reason: 'Unschedulable', ...scheduled }] : [],
  },
});

describe('pod summaries', () => {
  it('says a pod nobody scheduled points at the scheduler', () => {
    expect(notReadyReason(pending('a'))).toBe(
      'not scheduled: no scheduler has acted on it (is kube-scheduler running?)',
    );
  });

  it('quotes the scheduler when it could not place the pod', () => {
    expect(
      notReadyReason(
        pending('a', {
          status: 'False',
          message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
        }),
      ),
    ).toBe("unschedulable: 0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.");
  });

  it('names a waiting container', () => {
    const pod: Pod = {
      metadata: { name: 'p' },
      spec: { nodeName: 'n1' },
      status: {
        phase: 'Pending',
        containerStatuses: [
          { name: 'web', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } },
        ],
      },
    };
    expect(notReadyReason(pod)).toBe('container web waiting: ImagePullBackOff (Back-off pulling image)');
  });

  it('groups pods by phase and reason, most frequent first', () => {
    const running: Pod = { metadata: { name: 'r' }, spec: { nodeName: 'n1' }, status: { phase: 'Running' } };
    expect(summariseNotReady([pending('a'), pending('b'), running])).toBe(
      '2 Pending: not scheduled: no scheduler has acted on it (is kube-scheduler running?); 1 Running: on n1, Running (kubelet has not reported it Ready)',
    );
  });

  it('is Ready only with a True Ready condition and no deletion', () => {
    const ready: Pod = { metadata: { name: 'r' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } };
    expect(isPodReady(ready)).toBe(true);
    expect(isPodReady({ ...ready, metadata: { name: 'r', deletionTimestamp: '2024-01-01T00:00:00Z' } })).toBe(false);
    expect(isPodReady(pending('a'))).toBe(false);
  });

  it('computes nearest-rank quantiles', () => {
    expect(quantile([], 0.5)).toBeUndefined();
    expect(quantile([3, 1, 2], 0.5)).toBe(2);
    expect(quantile([3, 1, 2], 0.99)).toBe(3);
  });
});

describe('describeMissing', () => {
  it('groups missing verbs by resource, keeping the order of the needed list', async () => {
    const { describeMissing, neededPermissions } = await import('../../../prober/steps/api.ts');
    const missing = neededPermissions.filter(
      (p) => (p.resource === 'namespaces' && p.verb !== 'get') || p.resource === 'endpointslices',
    );
    expect(describeMissing(missing)).toEqual([
      'cannot create, list, delete namespaces (step namespace/teardown/leftovers)',
      'cannot list endpointslices.discovery.k8s.io (step service)',
    ]);
    expect(describeMissing([])).toEqual([]);
  });
});
