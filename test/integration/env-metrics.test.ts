import { eventually } from '../support/eventually.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startNodeExporter,
  startPrometheus,
  startVictoriaMetrics,
  type NodeExporter,
  type PrometheusServer,
  type VictoriaMetricsServer,
} from '../env/index.ts';

describe('test env: Prometheus, node-exporter and VictoriaMetrics', () => {
  let exporter: NodeExporter;
  let prometheus: PrometheusServer;
  let vm: VictoriaMetricsServer;

  beforeAll(async () => {
    exporter = await startNodeExporter();
    [prometheus, vm] = await Promise.all([
      startPrometheus({ scrapeTargets: [{ job: 'node', target: exporter.target }] }),
      startVictoriaMetrics(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([prometheus?.stop(), vm?.stop(), exporter?.stop()]);
  });

  it('Prometheus scrapes node-exporter and answers PromQL', async () => {
    const result = await eventually(
      () => prometheus.query('up{job="node"}'),
      (r) => r.length > 0,
      'node-exporter scraped',
    );
    expect(result[0]?.metric.instance).toBe(exporter.target);
    expect(result[0]?.value[1]).toBe('1');
    const cpu = await eventually(
      () => prometheus.query('count(node_cpu_seconds_total{mode="idle"})'),
      (r) => r.length > 0,
      'CPU series',
    );
    expect(Number(cpu[0]?.value[1])).toBeGreaterThan(0);
  });

  it('VictoriaMetrics accepts InfluxDB v2 line protocol and reads it back with PromQL', async () => {
    const now = Date.now();
    const response = await fetch(`${vm.influxWriteUrl}?org=watchkeeper&bucket=test&precision=ms`, {
      method: 'POST',
      body: `kube_node,node=kwok-node-0 cpu_usage=0.25,memory_bytes=1048576i ${now}\n`,
    });
    expect(response.status).toBe(204);
    await fetch(`${vm.url}/internal/force_flush`);
    const result = await eventually(
      () => vm.query('kube_node_memory_bytes{node="kwok-node-0"}'),
      (r) => r.length > 0,
      'the written point',
    );
    expect(result[0]?.value[1]).toBe('1048576');
  });
});
