import type { Cluster } from '../env/index.ts';
import { eventually, until } from './eventually.ts';

/** The namespace of the workloads {@link deployStateWorkloads} creates. */
export const stateNamespace = 'wk-state';

type Request = Cluster['request'];
type Json = Record<string, unknown>;

async function create(request: Request, path: string, body: Json): Promise<void> {
  const res = await request('POST', path, body);
  if (res.status !== 201) throw new Error(`POST ${path}: HTTP ${res.status}: ${res.body}`);
}

/** Reads an object, lets `change` edit it and writes it back (PUT, retried on a conflict with another writer). */
async function update(request: Request, path: string, change: (object: Json) => void): Promise<void> {
  await until(async () => {
    const got = await request('GET', path);
    if (got.status !== 200) return false;
    const object = JSON.parse(got.body) as Json;
    change(object);
    const put = await request('PUT', path, object);
    if (put.status === 409) return false;
    if (put.status !== 200) throw new Error(`PUT ${path}: HTTP ${put.status}: ${put.body}`);
    return true;
  }, `PUT ${path}`);
}

const ns = stateNamespace;
const core = `/api/v1/namespaces/${ns}`;
const apps = `/apis/apps/v1/namespaces/${ns}`;
const resources = { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } };
const container = { name: 'app', image: 'registry.k8s.io/pause:3.10', resources };
const template = (app: string, extra: Json = {}) => ({
  metadata: { labels: { app } },
  spec: { automountServiceAccountToken: false, containers: [container], ...extra },
});
/** kwok leaves the status of pods with this annotation alone: the test writes it, as a kubelet would. */
const customStatus = { 'kwok.x-k8s.io/status': 'custom' };

/**
 * Deploys what the cluster-state series and alerts are proven on, in namespace `wk-state` of a test/env cluster
 * whose kwok nodes run pods: healthy workloads of every kind (a Deployment with an HPA, a StatefulSet, a DaemonSet,
 * a Job that completes, a bound PV and PVC) and broken ones: a Deployment whose pod no node can take (`broken`),
 * a pod whose image cannot be pulled (`image-pull`), a crash-looping pod (`crash`) and a Job that failed
 * (`doomed`). The broken pods' states are written through the status subresource, as a kubelet would write them
 * (kwok is told to leave those pods alone). The first node also gets a PreferNoSchedule taint, so that taints are
 * exported, without changing where pods go. Resolves once every object exists and the Job outcomes are final.
 */
export async function deployStateWorkloads(cluster: Cluster): Promise<void> {
  const request: Request = (method, path, body) => cluster.request(method, path, body);
  await create(request, '/api/v1/namespaces', { metadata: { name: ns } });
  // The ServiceAccount admission needs the namespace's default ServiceAccount first.
  await until(async () => (await request('GET', `${core}/serviceaccounts/default`)).status === 200, 'default SA');
  const selector = (app: string) => ({ matchLabels: { app } });
  await Promise.all([
    create(request, `${apps}/deployments`, {
      metadata: { name: 'web' },
      spec: { replicas: 2, selector: selector('web'), template: template('web') },
    }),
    create(request, `${apps}/deployments`, {
      metadata: { name: 'broken' },
      spec: {
        replicas: 1,
        selector: selector('broken'),
        template: template('broken', { nodeSelector: { 'watchkeeper.test/nowhere': 'true' } }),
      },
    }),
    create(request, `${apps}/statefulsets`, {
      metadata: { name: 'db' },
      spec: { replicas: 1, serviceName: 'db', selector: selector('db'), template: template('db') },
    }),
    create(request, `${apps}/daemonsets`, {
      metadata: { name: 'agent' },
      spec: { selector: selector('agent'), template: template('agent') },
    }),
    create(request, `/apis/batch/v1/namespaces/${ns}/jobs`, {
      metadata: { name: 'migrate' },
      spec: { backoffLimit: 0, template: { spec: { ...template('migrate').spec, restartPolicy: 'Never' } } },
    }),
    create(request, `/apis/batch/v1/namespaces/${ns}/jobs`, {
      metadata: { name: 'doomed' },
      spec: {
        backoffLimit: 0,
        template: {
          metadata: { annotations: customStatus },
          spec: { ...template('doomed').spec, restartPolicy: 'Never' },
        },
      },
    }),
    // Two to four replicas of web: at two, neither below its minimum (mismatch) nor at its maximum.
    create(request, `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers`, {
      metadata: { name: 'web' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 2,
        maxReplicas: 4,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
        ],
      },
    }),
    create(request, '/api/v1/persistentvolumes', {
      metadata: { name: 'wk-state-data' },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'manual',
        hostPath: { path: '/tmp/wk-state-data' },
      },
    }),
    create(request, `${core}/persistentvolumeclaims`, {
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'manual', resources: { requests: { storage: '1Gi' } } },
    }),
    ...['image-pull', 'crash'].map((name) =>
      create(request, `${core}/pods`, {
        metadata: { name, annotations: customStatus },
        spec: { ...template(name).spec, nodeName: cluster.nodes[0] },
      }),
    ),
    update(request, `/api/v1/nodes/${cluster.nodes[0]}`, (node) => {
      const spec = (node.spec ??= {}) as { taints?: Json[] };
      spec.taints = [
        ...(spec.taints ?? []),
        { key: 'watchkeeper.test/marked', value: 'yes', effect: 'PreferNoSchedule' },
      ];
    }),
  ]);
  const now = new Date().toISOString();
  await update(request, `${core}/pods/image-pull/status`, (pod) => {
    pod.status = {
      phase: 'Pending',
      containerStatuses: [
        {
          name: 'app',
          image: container.image,
          imageID: '',
          ready: false,
          restartCount: 0,
          started: false,
          state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } },
        },
      ],
    };
  });
  await update(request, `${core}/pods/crash/status`, (pod) => {
    pod.status = {
      phase: 'Running',
      startTime: now,
      conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: now }],
      containerStatuses: [
        {
          name: 'app',
          image: container.image,
          imageID: '',
          containerID: 'containerd://crash',
          ready: false,
          restartCount: 5,
          started: false,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: now, finishedAt: now } },
        },
      ],
    };
  });
  // The doomed Job's pod fails as a kubelet would report it; with backoffLimit 0 the Job then fails.
  const doomedPod = await eventually(
    async () => {
      const res = await request('GET', `${core}/pods?labelSelector=job-name%3Ddoomed`);
      return (JSON.parse(res.body) as { items: { metadata: { name: string } }[] }).items[0]?.metadata.name;
    },
    (name) => name !== undefined,
    'the doomed Job pod',
  );
  await update(request, `${core}/pods/${doomedPod}/status`, (pod) => {
    pod.status = {
      phase: 'Failed',
      startTime: now,
      containerStatuses: [
        {
          name: 'app',
          image: container.image,
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode: 2, reason: 'Error', startedAt: now, finishedAt: now } },
        },
      ],
    };
  });
  const jobCondition = async (name: string) => {
    const res = await request('GET', `/apis/batch/v1/namespaces/${ns}/jobs/${name}`);
    const job = JSON.parse(res.body) as { status?: { conditions?: { type: string; status: string }[] } };
    return job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')
      ?.type;
  };
  await until(async () => (await jobCondition('migrate')) === 'Complete', 'Job migrate complete');
  await until(async () => (await jobCondition('doomed')) === 'Failed', 'Job doomed failed');
}
