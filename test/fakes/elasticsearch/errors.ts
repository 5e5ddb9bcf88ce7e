/** An Elasticsearch error object as it appears in responses (`error` of a failed request or bulk item). */
export interface EsErrorCause {
  type: string;
  reason: string;
  caused_by?: EsErrorCause;
  [extra: string]: unknown;
}

/** The body Elasticsearch sends with a failed request: the error, its root causes, and the status. */
export function errorBody(
  status: number,
  cause: EsErrorCause,
): { error: EsErrorCause & { root_cause: EsErrorCause[] }; status: number } {
  const { caused_by: _causedBy, ...root } = cause;
  return { error: { root_cause: [root], ...cause }, status };
}

/** index_not_found_exception, as for a search or count on a missing concrete index. */
export function indexNotFound(index: string): EsErrorCause {
  return {
    type: 'index_not_found_exception',
    reason: `no such index [${index}]`,
    'resource.type': 'index_or_alias',
    'resource.id': index,
    index_uuid: '_na_',
    index,
  };
}

/** es_rejected_execution_exception: the write thread pool or indexing pressure limit is full. */
export function rejectedExecution(what: 'coordinating' | 'primary'): EsErrorCause {
  return {
    type: 'es_rejected_execution_exception',
    reason: `rejected execution of ${what} operation [coordinating_and_primary_bytes=104857600, replica_bytes=0, all_bytes=104857600, ${what}_operation_bytes=4096, max_coordinating_and_primary_bytes=104857600]`,
  };
}

/** cluster_block_exception with 503, as a node answers while its cluster state is not recovered. */
export function serviceUnavailable(): EsErrorCause {
  return {
    type: 'cluster_block_exception',
    reason: 'blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];',
  };
}

/** document_parsing_exception: a value does not fit the field's mapped type. */
export function documentParsing(field: string, type: string, id: string, preview: string, inner: string): EsErrorCause {
  return {
    type: 'document_parsing_exception',
    reason: `[1:2] failed to parse field [${field}] of type [${type}] in document with id '${id}'. Preview of field's value: '${preview}'`,
    caused_by: { type: 'illegal_argument_exception', reason: inner },
  };
}

/** version_conflict_engine_exception: `create` of an id that exists. */
export function versionConflict(index: string, id: string): EsErrorCause {
  return {
    type: 'version_conflict_engine_exception',
    reason: `[${id}]: version conflict, document already exists (current version [1])`,
    index_uuid: 'fake-uuid',
    shard: '0',
    index,
  };
}
