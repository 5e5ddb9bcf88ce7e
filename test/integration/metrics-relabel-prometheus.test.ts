// watchkeeper's relabeling against Debian's Prometheus given the same configuration and targets: file_sd
// targets through relabel_configs (every action) compared with /api/v1/targets, and metric_relabel_configs
// compared with the series Prometheus stored from a loopback target.
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relabelConfigSchema } from '../../collectors/metrics/relabel/config.ts';
import { compileRelabelRules } from '../../collectors/metrics/relabel/relabel.ts';
import { relabelSample } from '../../collectors/metrics/relabel/sample.ts';
import { relabelTarget, type TargetDefaults } from '../../collectors/metrics/relabel/target.ts';
import type { Labels, Sample } from '../../collectors/metrics/types.ts';
import { startPrometheus, type PrometheusServer } from '../env/index.ts';
import { until } from '../support/eventually.ts';

interface TargetGroup {
  targets: string[];
  labels: Labels;
}

/** Targets of every job: varied labels so each rule matches some and not others. */
const groups: TargetGroup[] = [
  {
    targets: ['10.0.0.1:9100', '10.0.0.2:9100'],
    labels: { __meta_env: 'Prod', __meta_label_app: 'web', __meta_keep: 'yes', team: 'a', tmp_x: '1' },
  },
  {
    targets: ['10.0.0.3:9100'],
    labels: {
      __meta_env: 'dev',
      __meta_label_app: 'db',
      __meta_label_tier: 'back',
      __meta_keep: 'maybe',
      __meta_kv: 'zone=eu',
    },
  },
  { targets: ['10.0.0.4:9999'], labels: { __meta_env: 'prod', __meta_keep: 'yes', __meta_mirror: 'prod', team: 'b' } },
  { targets: ['10.0.0.5:9100'], labels: { __meta_env: 'stage', __meta_keep: 'no' } },
  {
    targets: ['10.0.0.6:9100'],
    labels: { __meta_env: 'prod', __meta_keep: 'yes', __meta_mirror: 'other', __meta_kv: 'Rack=r1', tmp_y: 'z' },
  },
  {
    targets: ['host-a.example:8080', 'host-b.example:8443'],
    labels: { __meta_env: 'ÄÖü', __meta_keep: 'yes', __meta_path: '/federate' },
  },
];

/** One job per rule set; together they use every action. */
const jobs: { name: string; rules: Record<string, unknown>[]; params?: Record<string, string> }[] = [
  {
    name: 'replace',
    params: { module: 'http_2xx' },
    rules: [
      { source_labels: ['__meta_env'], target_label: 'env' },
      { source_labels: ['__meta_kv'], regex: '(?P<key>\\w+)=(\\w+)', target_label: 'kv_${key}', replacement: '$2' },
      { source_labels: ['__meta_remove'], target_label: 'team' },
      { source_labels: ['__meta_path'], regex: '(.+)', target_label: '__metrics_path__' },
      { source_labels: ['__address__'], regex: '([^:]+):\\d+', target_label: 'host', replacement: 'h-$1' },
      { source_labels: ['__address__'], regex: '.*:8443', target_label: '__scheme__', replacement: 'https' },
      { source_labels: ['__meta_env'], regex: 'prod', target_label: '__param_module', replacement: 'tcp' },
      {
        source_labels: ['__meta_env', '__address__'],
        separator: '@',
        regex: 'dev@(.*)',
        target_label: 'instance',
        replacement: 'dev-$1',
      },
    ],
  },
  {
    name: 'keep-drop',
    rules: [
      { source_labels: ['__meta_keep'], regex: 'yes|maybe', action: 'keep' },
      { source_labels: ['__address__'], regex: '.*:9999', action: 'drop' },
      { source_labels: ['__meta_env'], regex: '(?i)PROD', action: 'Keep' },
    ],
  },
  {
    name: 'equal',
    rules: [
      { source_labels: ['__meta_env'], target_label: '__meta_mirror', action: 'dropequal' },
      { source_labels: ['__meta_keep'], target_label: '__tmp_yes', action: 'replace', replacement: 'yes' },
      { source_labels: ['__meta_keep'], target_label: '__tmp_yes', action: 'keepequal' },
    ],
  },
  {
    name: 'names-case-hash',
    rules: [
      { regex: '__meta_label_(.+)', action: 'labelmap' },
      { regex: '__meta_(env|kv)', replacement: 'copy_$1', action: 'labelmap' },
      { regex: 'tmp_.*', action: 'labeldrop' },
      { source_labels: ['__meta_env'], target_label: 'env_lower', action: 'lowercase' },
      { source_labels: ['__meta_env'], target_label: 'env_upper', action: 'uppercase' },
      { source_labels: ['__address__'], target_label: 'shard', modulus: 3, action: 'hashmod' },
      {
        source_labels: ['__address__', '__meta_env'],
        target_label: '__tmp_hash',
        modulus: 1000000007,
        action: 'hashmod',
      },
      { source_labels: ['__tmp_hash'], target_label: 'hash' },
      { regex: '__.*|job|instance|app|tier|copy_.*|env_.*|shard|hash', action: 'labelkeep' },
    ],
  },
];

/** Each job gets its own addresses (10.<job>.…, host-a.j<job>.…), so targets tell their job by address. */
function groupsOf(jobIndex: number): TargetGroup[] {
  const move = (address: string) =>
    address.replace(/^10\.0\./, `10.${jobIndex}.`).replace(/\.example:/, `.j${jobIndex}.example:`);
  return groups.map((g) => ({ targets: g.targets.map(move), labels: g.labels }));
}

const defaults = (job: string, params?: Record<string, string>): TargetDefaults => ({
  job,
  scheme: 'http',
  metricsPath: '/metrics',
  scrapeIntervalMs: 30_000,
  scrapeTimeoutMs: 5_000,
  ...(params ? { params } : {}),
});

/** Series the loopback target exposes for the metric_relabel_configs comparison. */
const samples: Sample[] = [
  { name: 'http_requests_total', labels: { method: 'GET', code: '200', path: '/api' }, value: 10 },
  { name: 'http_requests_total', labels: { method: 'POST', code: '500', path: '/api' }, value: 2 },
  { name: 'http_requests_total', labels: { method: 'get', code: '404', path: '/Static' }, value: 3 },
  { name: 'go_goroutines', labels: {}, value: 12 },
  { name: 'go_gc_duration_seconds', labels: { quantile: '0.5' }, value: 0.001 },
  { name: 'process_cpu_seconds_total', labels: {}, value: 4.5 },
  { name: 'node_filesystem_avail_bytes', labels: { device: '/dev/sda1', mountpoint: '/', fstype: 'ext4' }, value: 1e9 },
  { name: 'node_filesystem_avail_bytes', labels: { device: 'tmpfs', mountpoint: '/run', fstype: 'tmpfs' }, value: 1e6 },
  { name: 'app_info', labels: { version: 'v1.2.3', commit: 'abc', self: 'app_info' }, value: 1 },
];

const metricRules: Record<string, unknown>[] = [
  { source_labels: ['__name__'], regex: 'go_gc_.*', action: 'drop' },
  { source_labels: ['__name__', 'fstype'], regex: 'node_filesystem_.*;(tmpfs)', action: 'drop' },
  { source_labels: ['__name__'], regex: 'process_(.*)', target_label: '__name__', replacement: 'proc_$1' },
  { source_labels: ['method'], target_label: 'method', action: 'uppercase' },
  { source_labels: ['path'], target_label: 'path', action: 'lowercase' },
  { regex: 'commit', action: 'labeldrop' },
  { regex: '(version)', replacement: 'app_$1', action: 'labelmap' },
  { source_labels: ['code'], regex: '5..', target_label: 'error', replacement: 'true' },
  { source_labels: ['path', 'code'], target_label: 'bucket', modulus: 7, action: 'hashmod' },
  { source_labels: ['__name__'], target_label: 'self', action: 'dropequal' },
  { source_labels: ['job'], target_label: 'job', action: 'keepequal' },
];

function render(list: readonly Sample[]): string {
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  return list
    .map((s) => {
      const labels = Object.entries(s.labels)
        .map(([k, v]) => `${k}="${esc(v)}"`)
        .join(',');
      return `${s.name}${labels ? `{${labels}}` : ''} ${s.value}\n`;
    })
    .join('');
}

/** A label set as one comparable string (keys sorted). */
function key(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
}

interface TargetsApi {
  activeTargets: { scrapePool: string; discoveredLabels: Labels; labels: Labels }[];
  droppedTargets: { discoveredLabels: Labels }[];
}

describe('relabeling equals Debian Prometheus for the same config and targets', () => {
  let prometheus: PrometheusServer;
  let dir: string;
  let server: Server;
  let metricsTarget: string;
  const sdFile = (job: string) => join(dir, `targets-${job}.json`);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wk-relabel-'));
    await Promise.all(jobs.map((j, i) => writeFile(sdFile(j.name), JSON.stringify(groupsOf(i)))));
    server = createServer((_req, res) => {
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end(render(samples));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    metricsTarget = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    prometheus = await startPrometheus({
      scrapeConfigs: [
        ...jobs.map((j) => ({
          job_name: j.name,
          scrape_interval: '30s',
          scrape_timeout: '5s',
          file_sd_configs: [{ files: [sdFile(j.name)] }],
          relabel_configs: j.rules,
          ...(j.params ? { params: Object.fromEntries(Object.entries(j.params).map(([k, v]) => [k, [v]])) } : {}),
        })),
        {
          job_name: 'metrics',
          scrape_interval: '1s',
          static_configs: [{ targets: [metricsTarget] }],
          metric_relabel_configs: metricRules,
        },
      ],
    });
  });
  afterAll(async () => {
    await prometheus?.stop();
    await new Promise((resolve) => server?.close(resolve));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // Debian's Prometheus 2.42 relabels into the slice that holds a target's discovered labels (labels.Builder
  // reuses it; fixed in later releases), so its discoveredLabels show the result of rules that wrote labels.
  // (even `job` can fall off the end). Targets are therefore matched by their discovered address, unique per
  // job; whole discovered label sets are compared for the job whose rules only keep and drop.
  it('relabel_configs: same active targets (labels) and same dropped targets per job', async () => {
    let api: TargetsApi | undefined;
    await until(async () => {
      api = await prometheus.api<TargetsApi>('/api/v1/targets');
      const addresses = new Set(
        [...api.activeTargets, ...api.droppedTargets].map((t) => t.discoveredLabels.__address__),
      );
      return jobs.every((_j, i) => groupsOf(i).every((g) => g.targets.every((a) => addresses.has(a))));
    }, 'Prometheus discovered the file_sd targets of every job');
    for (const [index, job] of jobs.entries()) {
      const own = new Set(groupsOf(index).flatMap((g) => g.targets));
      const rules = compileRelabelRules(job.rules.map((r) => relabelConfigSchema.parse(r)));
      const whole = job.name === 'keep-drop';
      const id = (discovered: Labels) => (whole ? key(discovered) : (discovered.__address__ ?? ''));
      const active: string[] = [];
      const dropped: string[] = [];
      for (const group of groupsOf(index)) {
        for (const address of group.targets) {
          const result = relabelTarget(
            { ...group.labels, __address__: address, __meta_filepath: sdFile(job.name) },
            rules,
            defaults(job.name, job.params),
          );
          if (result.kept) active.push(`${id(result.discoveredLabels)} -> ${key(result.labels)}`);
          else if (result.reason === 'relabel') dropped.push(id(result.discoveredLabels));
        }
      }
      const theirs = api!.activeTargets
        .filter((t) => t.scrapePool === job.name)
        .map((t) => `${id(t.discoveredLabels)} -> ${key(t.labels)}`);
      const theirDropped = api!.droppedTargets
        .filter((t) => own.has(t.discoveredLabels.__address__ ?? ''))
        .map((t) => id(t.discoveredLabels));
      expect(active.sort(), `active targets of ${job.name}`).toEqual(theirs.sort());
      expect(dropped.sort(), `dropped targets of ${job.name}`).toEqual(theirDropped.sort());
    }
    const count = (job: string) => api!.activeTargets.filter((t) => t.scrapePool === job).length;
    expect(jobs.map((j) => count(j.name))).toEqual([8, 3, 5, 8]);
    expect(api!.droppedTargets.length).toBe(5 + 3);
    const names = api!.activeTargets.filter((t) => t.scrapePool === 'names-case-hash');
    expect(new Set(names.map((t) => t.labels.shard)).size).toBeGreaterThan(1);
  });

  it('metric_relabel_configs: same series as Prometheus stored from the loopback target', async () => {
    const rules = compileRelabelRules(metricRules.map((r) => relabelConfigSchema.parse(r)));
    const targetLabels = { job: 'metrics', instance: metricsTarget };
    const ours = samples
      .map((s) => relabelSample({ ...s, labels: { ...s.labels, ...targetLabels } }, rules))
      .flatMap((r) => (r.kept ? [key({ __name__: r.sample.name, ...r.sample.labels })] : []))
      .sort();
    let theirs: string[] = [];
    await until(async () => {
      const series = await prometheus.api<Labels[]>(`/api/v1/series?match[]=${encodeURIComponent('{job="metrics"}')}`);
      theirs = series
        .filter((s) => s.__name__ !== 'up' && !s.__name__?.startsWith('scrape_'))
        .map(key)
        .sort();
      return theirs.length > 0;
    }, "Prometheus stored the loopback target's series");
    expect(ours).toEqual(theirs);
    expect(ours.length).toBeLessThan(samples.length);
  });
});
