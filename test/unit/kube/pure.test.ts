import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { KubeApiError, isRetryableKubeError, KubeUnreachableError } from '../../../core/kube/errors.ts';
import { microTime } from '../../../core/kube/lease.ts';
import { resourcePath, resources } from '../../../core/kube/paths.ts';
import { splitLines } from '../../../core/kube/watch.ts';

describe('splitLines', () => {
  it('joins lines split across chunks, including multi-byte characters', async () => {
    const euro = Buffer.from('€');
    const chunks = [
      Buffer.from('{"a":1}\n{"b":"'),
      euro.subarray(0, 1),
      Buffer.concat([euro.subarray(1), Buffer.from('"}\n\n{"c"')]),
      Buffer.from(':3}'),
    ];
    const lines: string[] = [];
    for await (const line of splitLines(Readable.from(chunks))) lines.push(line);
    expect(lines).toEqual(['{"a":1}', '{"b":"€"}', '{"c":3}']);
  });
});

describe('KubeApiError', () => {
  it('names verb, path, status, reason and the server message', () => {
    const body = Buffer.from(
      JSON.stringify({
        kind: 'Status',
        status: 'Failure',
        reason: 'Conflict',
        code: 409,
        message: 'the object has been modified',
      }),
    );
    const error = new KubeApiError({ status: 409, verb: 'PUT', path: '/api/v1/namespaces/x/configmaps/y', body });
    expect(error.message).toBe('PUT /api/v1/namespaces/x/configmaps/y: 409 Conflict: the object has been modified');
    expect(error.reason).toBe('Conflict');
    expect(error.code).toBe('kube_request_failed');
    expect(error.exitCode).toBe(1);
  });

  it('copes with a body that is not a Status and reads Retry-After', () => {
    const error = new KubeApiError({
      status: 429,
      verb: 'GET',
      path: '/x',
      body: Buffer.from('slow down'),
      retryAfter: '3',
    });
    expect(error.reason).toBe('TooManyRequests');
    expect(error.apiMessage).toBe('slow down');
    expect(error.retryAfterMs).toBe(3000);
    expect(isRetryableKubeError(error)).toBe(true);
    expect(
      isRetryableKubeError(new KubeApiError({ status: 404, verb: 'GET', path: '/x', body: Buffer.alloc(0) })),
    ).toBe(false);
    expect(
      isRetryableKubeError(
        new KubeUnreachableError({ verb: 'GET', path: '/x', server: 's', errno: 'ECONNREFUSED', detail: 'refused' }),
      ),
    ).toBe(true);
  });
});

describe('resourcePath', () => {
  it('builds core, group, namespaced and subresource paths', () => {
    expect(resourcePath(resources.pods)).toBe('/api/v1/pods');
    expect(resourcePath(resources.pods, 'ns', 'p', 'status')).toBe('/api/v1/namespaces/ns/pods/p/status');
    expect(resourcePath(resources.leases, 'kube-system', 'l')).toBe(
      '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/l',
    );
    expect(resourcePath(resources.namespaces, undefined, 'a')).toBe('/api/v1/namespaces/a');
  });
});

describe('microTime', () => {
  it('formats with microseconds', () => {
    expect(microTime(new Date('2024-01-02T03:04:05.678Z'))).toBe('2024-01-02T03:04:05.678000Z');
  });
});
