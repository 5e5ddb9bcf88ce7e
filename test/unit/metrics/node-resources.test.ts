import { describe, expect, it } from 'vitest';
import type { KubePod } from '../../../collectors/metrics/discovery/kube-objects.ts';
import { emitNodeResources, podRequests } from '../../../collectors/metrics/node/node-resources.ts';
import { parseQuantity } from '../../../collectors/metrics/node/quantity.ts';

describe('Kubernetes quantities', () => {
  it.each([
    ['100m', 0.1],
    ['2', 2],
    ['1.5', 1.5],
    ['512Mi', 512 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1k', 1000],
    ['1e3', 1000],
    ['.5', 0.5],
    ['250u', 0.00025],
    ['3E', 3e18],
  ])('%s is %d', (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value, 12);
  });
  it.each(['', 'abc', '1Zi', '1 Gi', '--1'])('%j is not a quantity', (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });
});

describe('node resources', () => {
  const pod = (name: string, spec: KubePod['spec'], phase = 'Running'): KubePod => ({
    metadata: { name, namespace: 'default' },
    spec: { nodeName: 'n1', ...spec },
    status: { phase },
  });

  it("a pod requests the larger of its containers' sum and its largest init container, plus overhead", () => {
    const requests = podRequests(
      pod('p', {
        containers: [
          { name: 'a', resources: { requests: { cpu: '250m', memory: '128Mi' } } },
          { name: 'b', resources: { requests: { cpu: '250m' } } },
        ],
        initContainers: [{ name: 'i', resources: { requests: { cpu: '2', memory: '64Mi' } } }],
        overhead: { cpu: '100m' },
      }),
    );
    expect(Object.fromEntries(requests)).toEqual({ cpu: 2.1, memory: 128 * 2 ** 20 });
  });

  it('capacity, allocatable and the requests of unfinished pods, with kube-state-metrics labels', () => {
    const lines: string[] = [];
    emitNodeResources(
      {
        metadata: { name: 'n1' },
        status: {
          capacity: { cpu: '4', memory: '8Gi', pods: '110' },
          allocatable: { cpu: '3800m', memory: '7Gi', pods: '110' },
        },
      },
      [
        pod('a', { containers: [{ name: 'c', resources: { requests: { cpu: '1', memory: '1Gi' } } }] }),
        pod('done', { containers: [{ name: 'c', resources: { requests: { cpu: '8' } } }] }, 'Succeeded'),
        {
          ...pod('elsewhere', { containers: [{ name: 'c', resources: { requests: { cpu: '8' } } }] }),
          spec: { nodeName: 'n2' },
        },
      ],
      { sample: (s) => lines.push(`${s.name}{${s.labels.resource},${s.labels.unit}} ${s.value}`) },
    );
    expect(lines).toEqual([
      'kube_node_status_capacity{cpu,core} 4',
      `kube_node_status_capacity{memory,byte} ${8 * 2 ** 30}`,
      'kube_node_status_capacity{pods,integer} 110',
      'kube_node_status_allocatable{cpu,core} 3.8',
      `kube_node_status_allocatable{memory,byte} ${7 * 2 ** 30}`,
      'kube_node_status_allocatable{pods,integer} 110',
      'kube_node_pod_requests{cpu,core} 1',
      `kube_node_pod_requests{memory,byte} ${2 ** 30}`,
    ]);
  });
});
