/**
 * The test environment: real servers on loopback, each on free ports in its own temp dir.
 * Build the binaries first with `npm run provision`; see test/env/README.md.
 */
export { startCluster, type Cluster, type ClusterOptions, type ComponentName } from './cluster.ts';
export { kwokKubeletMetricsPath, volumeClaimAnnotation } from './kubelet-metrics.ts';
export {
  startEtcd,
  startEtcdCluster,
  type EtcdCluster,
  type EtcdClusterOptions,
  type EtcdMember,
  type EtcdOptions,
  type EtcdServer,
  type EtcdTls,
} from './etcd.ts';
export { startS3, type S3Server } from './s3.ts';
export { startPrometheus, type PrometheusOptions, type PrometheusServer } from './prometheus.ts';
export { startVictoriaMetrics, type VictoriaMetricsOptions, type VictoriaMetricsServer } from './victoria-metrics.ts';
export { startNodeExporter, type NodeExporter } from './node-exporter.ts';
export { Pki, type CertFiles } from './pki.ts';
export { freePort } from './ports.ts';
export { toolBinary, toolDir } from './binaries.ts';
export {
  shipperRole,
  startElasticsearch,
  type ElasticsearchCredentials,
  type ElasticsearchOptions,
  type ElasticsearchServer,
} from './elasticsearch.ts';
export { startInfluxDB, type InfluxDBServer, type InfluxSeries } from './influxdb.ts';
