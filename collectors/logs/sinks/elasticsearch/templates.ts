/** Keyword field mapping. */
const keyword = { type: 'keyword', ignore_above: 1024 };
const flattened = { type: 'flattened' };

/** Mappings of container and component log documents. */
export const logsMappings = {
  dynamic: true,
  properties: {
    '@timestamp': { type: 'date_nanos' },
    message: { type: 'text' },
    stream: keyword,
    severity: keyword,
    component: keyword,
    source: keyword,
    parse_error: keyword,
    truncated: { type: 'boolean' },
    json: flattened,
    klog: { properties: { pid: { type: 'long' }, file: keyword, line: { type: 'long' } } },
    log: { properties: { offset: { type: 'long' }, file: { properties: { path: keyword } } } },
    container: { properties: { id: keyword } },
    kubernetes: {
      properties: {
        namespace: keyword,
        pod: { properties: { name: keyword, uid: keyword } },
        container: { properties: { name: keyword, restart: { type: 'long' } } },
        node: { properties: { name: keyword } },
        labels: flattened,
        annotations: flattened,
      },
    },
  },
};

/** Mappings of audit events: the who/what/when/from-where fields as keyword/date, objects flattened. */
export const auditMappings = {
  dynamic: false,
  properties: {
    '@timestamp': { type: 'date' },
    kind: keyword,
    apiVersion: keyword,
    level: keyword,
    auditID: keyword,
    stage: keyword,
    verb: keyword,
    requestURI: keyword,
    userAgent: keyword,
    sourceIPs: keyword,
    user: { properties: { username: keyword, uid: keyword, groups: keyword, extra: flattened } },
    impersonatedUser: { properties: { username: keyword, uid: keyword, groups: keyword, extra: flattened } },
    objectRef: {
      properties: {
        resource: keyword,
        namespace: keyword,
        name: keyword,
        uid: keyword,
        apiGroup: keyword,
        apiVersion: keyword,
        resourceVersion: keyword,
        subresource: keyword,
      },
    },
    responseStatus: {
      properties: { code: { type: 'integer' }, status: keyword, reason: keyword, message: { type: 'text' } },
    },
    requestObject: flattened,
    responseObject: flattened,
    objectTrimmed: keyword,
    requestReceivedTimestamp: { type: 'date' },
    stageTimestamp: { type: 'date' },
    annotations: flattened,
  },
};

/** The two index templates (name -> body) for an index prefix. */
export function indexTemplates(prefix: string, dataStreams: boolean): Record<string, Record<string, unknown>> {
  const make = (kind: string, mappings: unknown): Record<string, unknown> => ({
    index_patterns: [`${prefix}-${kind}${dataStreams ? '' : '-*'}`],
    priority: 200,
    ...(dataStreams ? { data_stream: {} } : {}),
    template: { mappings },
    _meta: { managed_by: 'watchkeeper' },
  });
  return { [`${prefix}-logs`]: make('logs', logsMappings), [`${prefix}-audit`]: make('audit', auditMappings) };
}
