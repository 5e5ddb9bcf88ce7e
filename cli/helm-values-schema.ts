import { z } from 'zod';
import { configSchema } from '../core/config/schema.ts';

type JsonSchema = Record<string, unknown>;

const str: JsonSchema = { type: 'string' };
const bool: JsonSchema = { type: 'boolean' };
const obj = (properties: Record<string, JsonSchema>, description?: string): JsonSchema => ({
  type: 'object',
  ...(description ? { description } : {}),
  properties,
  additionalProperties: false,
});
const stringMap: JsonSchema = { type: 'object', additionalProperties: { type: 'string' } };
const anyList: JsonSchema = { type: 'array' };
const anyMap: JsonSchema = { type: 'object' };

/** The watchkeeper config file's JSON Schema (input form: fields with defaults are optional). */
function configFileSchema(): JsonSchema {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(configSchema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-7',
  }) as JsonSchema;
  return {
    ...schema,
    description: 'A watchkeeper configuration file (docs/configuration.md); server is set by the chart.',
  };
}

/** Scheduling and sizing values that every component has. */
function podValues(config: JsonSchema): Record<string, JsonSchema> {
  return {
    enabled: bool,
    config,
    priorityClassName: str,
    resources: obj({ requests: stringMap, limits: stringMap }),
    tolerations: anyList,
    nodeSelector: stringMap,
    podAnnotations: stringMap,
    extraEnv: anyList,
  };
}

const disruptionBudget = obj({ enabled: bool, maxUnavailable: { type: ['integer', 'string'] } });

/**
 * JSON Schema of the Helm chart's values (deploy/helm/watchkeeper/values.schema.json): the chart's
 * own values, and each component's `config` checked against the config file's schema, so that
 * `helm install` refuses a bad config value before anything reaches the cluster.
 */
export function helmValuesSchema(): JsonSchema {
  const config = { $ref: '#/definitions/config' };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    definitions: { config: configFileSchema() },
    title: 'Values of the watchkeeper Helm chart',
    type: 'object',
    additionalProperties: false,
    properties: {
      global: anyMap,
      image: obj({
        repository: { type: 'string', minLength: 1 },
        tag: str,
        pullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] },
      }),
      imagePullSecrets: anyList,
      commonLabels: stringMap,
      metricsPort: { type: 'integer', minimum: 1, maximum: 65535 },
      agent: obj({
        ...podValues(config),
        affinity: anyMap,
        elasticsearch: obj(
          { existingSecret: str, passwordKey: str, caKey: str },
          'Secret with the Elasticsearch password and CA.',
        ),
        hostLogDir: { type: 'string', pattern: '^/' },
        hostStateDir: { type: 'string', pattern: '^/' },
        nodeOptions: str,
        maxUnavailable: { type: ['integer', 'string'] },
        nodeCollector: obj(
          {
            hostNetwork: bool,
            hostPID: bool,
            hostProc: { type: 'string', pattern: '^/' },
            hostSys: { type: 'string', pattern: '^/' },
            hostRoot: { type: 'string', pattern: '^/' },
          },
          'What the built-in node collector (config.metrics.node.enabled) gets to read the node, not the pod.',
        ),
      }),
      collector: obj({
        ...podValues(config),
        affinity: anyMap,
        replicas: { type: 'integer', minimum: 0 },
        etcd: obj({ enabled: bool, clientSecret: str }, "etcd's metrics with the client certificate of a Secret."),
        nodeOptions: str,
        podDisruptionBudget: disruptionBudget,
      }),
      prober: obj({ ...podValues(config), affinity: anyMap, podDisruptionBudget: disruptionBudget }),
      backup: obj({
        ...podValues(config),
        replicas: { type: 'integer', minimum: 0 },
        apiBackups: bool,
        etcd: obj({
          enabled: bool,
          clientSecret: str,
          hostNetwork: bool,
          nodeSelector: stringMap,
          tolerations: anyList,
        }),
        encryptionKey: obj({ existingSecret: str }),
        s3: obj({ existingSecret: str, accessKeyIdKey: str, secretAccessKeyKey: str }),
        podDisruptionBudget: disruptionBudget,
      }),
      restoreIdentity: obj({ enabled: bool }),
      service: obj({ enabled: bool }),
      networkPolicy: obj({ enabled: bool, metricsFrom: anyList }),
      serviceMonitor: obj({ enabled: bool, interval: str, labels: stringMap }),
      prometheusRule: obj({ enabled: bool, labels: stringMap }),
      grafanaDashboards: obj({ enabled: bool, namespace: str, labels: stringMap, annotations: stringMap }),
    },
  };
}
