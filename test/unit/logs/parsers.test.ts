import { describe, expect, it } from 'vitest';
import { auditDocumentId, sanitizeAuditEvent } from '../../../collectors/logs/enrich/audit-event.ts';
import { pathMetadata } from '../../../collectors/logs/enrich/path-metadata.ts';
import { AuditParser } from '../../../collectors/logs/parsers/audit.ts';
import { CriParser } from '../../../collectors/logs/parsers/cri.ts';
import { detectContainerFormat } from '../../../collectors/logs/parsers/detect.ts';
import { DockerParser } from '../../../collectors/logs/parsers/docker.ts';
import { KlogParser, parseKlogHeader } from '../../../collectors/logs/parsers/klog.ts';
import type { LineParser } from '../../../collectors/logs/parsers/line-parser.ts';
import { captureRig } from './support/capture.ts';

/** Feeds lines (offsets as in a file) and flushes. */
async function feed(parser: LineParser, rig: ReturnType<typeof captureRig>, lines: (string | Buffer)[]): Promise<void> {
  let offset = 0;
  for (const line of lines) {
    const buf = Buffer.isBuffer(line) ? line : Buffer.from(line);
    parser.line(buf, 0, buf.length, offset, offset + buf.length + 1);
    offset += buf.length + 1;
  }
  parser.idle();
  await rig.pipeline.stop(5000);
}

describe('CRI parser', () => {
  it('parses stream, timestamp (UTC and CRI-O offsets) and message, with ids from offsets', async () => {
    const rig = captureRig();
    const first = '2024-03-01T10:00:00.123456789Z stdout F hello';
    const second = '2024-03-01T12:00:00.5+02:00 stderr F with "quotes"';
    await feed(new CriParser(rig.emitter, 1 << 20), rig, [first, second]);
    expect(rig.sink.docs.map((d) => [d.id, d.index, d.doc['@timestamp'], d.doc.stream, d.doc.message])).toEqual([
      ['f-0', 'wk-logs-2024.03.01', '2024-03-01T10:00:00.123456789Z', 'stdout', 'hello'],
      [`f-${first.length + 1}`, 'wk-logs-2024.03.01', '2024-03-01T12:00:00.5+02:00', 'stderr', 'with "quotes"'],
    ]);
    expect(rig.target.acknowledged).toBe(first.length + second.length + 2);
  });

  it('joins P pieces until F and cuts at the cap, counting the cut', async () => {
    const rig = captureRig();
    await feed(new CriParser(rig.emitter, 10), rig, [
      '2024-03-01T10:00:00Z stdout P abcdef',
      '2024-03-01T10:00:01Z stdout P ghijkl',
      '2024-03-01T10:00:02Z stdout F mno',
      '2024-03-01T10:00:03Z stdout F next',
    ]);
    expect(rig.sink.docs.map((d) => [d.id, d.doc.message, d.doc.truncated, d.doc['@timestamp']])).toEqual([
      ['f-0', 'abcdefghij', true, '2024-03-01T10:00:00Z'],
      [`f-${37 + 37 + 34}`, 'next', undefined, '2024-03-01T10:00:03Z'],
    ]);
    expect(rig.emitter.counters.errors).toEqual({ partial_truncated: 1 });
  });

  it('ships garbage and invalid UTF-8 anyway, counted', async () => {
    const rig = captureRig();
    await feed(new CriParser(rig.emitter, 1 << 20), rig, ['not a cri line', Buffer.from([0x32, 0x30, 0xff, 0x00])]);
    expect(rig.sink.docs.map((d) => d.doc.message)).toEqual(['not a cri line', '20\ufffd\u0000']);
    expect(rig.emitter.counters.errors.not_cri).toBe(2);
  });

  it('applies exclusion, redaction and JSON parsing on the slow path', async () => {
    const rig = captureRig({
      exclude: /healthz/,
      redactions: [{ pattern: /password=\S+/g, replacement: 'password=[redacted]' }],
      parseJson: true,
    });
    const lines = [
      '2024-03-01T10:00:00Z stdout F GET /healthz',
      '2024-03-01T10:00:01Z stdout F login password=hunter2 ok',
      '2024-03-01T10:00:02Z stdout F {"level":"info","n":3}',
    ];
    await feed(new CriParser(rig.emitter, 1 << 20), rig, lines);
    expect(rig.sink.docs.map((d) => d.doc.message)).toEqual(['login password=[redacted] ok', '{"level":"info","n":3}']);
    expect(rig.sink.docs[1]!.doc.json).toEqual({ level: 'info', n: 3 });
    expect(rig.target.acknowledged).toBe(lines.reduce((n, l) => n + l.length + 1, 0));
  });

  it('joins multiline messages by start pattern', async () => {
    const rig = captureRig({ multilineStart: /^\d{4}-/ });
    await feed(new CriParser(rig.emitter, 1 << 20), rig, [
      '2024-03-01T10:00:00Z stdout F 2024-03-01 panic: boom',
      '2024-03-01T10:00:00Z stdout F   at main.go:10',
      '2024-03-01T10:00:00Z stdout F   at main.go:20',
      '2024-03-01T10:00:01Z stdout F 2024-03-01 next',
    ]);
    expect(rig.sink.docs.map((d) => d.doc.message)).toEqual([
      '2024-03-01 panic: boom\n  at main.go:10\n  at main.go:20',
      '2024-03-01 next',
    ]);
  });
});

describe('Docker json-file parser', () => {
  it('joins 16 KiB partial pieces and detects the format', async () => {
    const rig = captureRig();
    const lines = [
      JSON.stringify({ log: 'part one, ', stream: 'stdout', time: '2024-03-01T10:00:00.1Z' }),
      JSON.stringify({ log: 'part two\n', stream: 'stdout', time: '2024-03-01T10:00:00.2Z' }),
      JSON.stringify({ log: 'err\n', stream: 'stderr', time: '2024-03-01T10:00:01Z' }),
    ];
    expect(detectContainerFormat(lines[0]!)).toBe('docker');
    expect(detectContainerFormat('2024-03-01T10:00:00Z stdout F x')).toBe('cri');
    await feed(new DockerParser(rig.emitter, 1 << 20), rig, lines);
    expect(rig.sink.docs.map((d) => [d.doc.message, d.doc.stream, d.doc['@timestamp']])).toEqual([
      ['part one, part two', 'stdout', '2024-03-01T10:00:00.1Z'],
      ['err', 'stderr', '2024-03-01T10:00:01Z'],
    ]);
  });
});

describe('klog parser', () => {
  it('reads severity, time, pid, file and line; infers the year, also across New Year', () => {
    const jan = new Date('2025-01-02T00:00:00Z');
    expect(
      parseKlogHeader('I0803 19:59:19.929302       1 trace.go:76] msg', new Date('2024-09-01T00:00:00Z')),
    ).toMatchObject({
      severity: 'INFO',
      timestamp: '2024-08-03T19:59:19.929302Z',
      pid: 1,
      file: 'trace.go',
      line: 76,
    });
    expect(parseKlogHeader('E1231 23:59:59.000001 42 x.go:1] late', jan)?.timestamp).toBe(
      '2024-12-31T23:59:59.000001Z',
    );
    expect(parseKlogHeader('W0101 00:00:01.000000 42 x.go:1] early', jan)?.timestamp).toBe(
      '2025-01-01T00:00:01.000000Z',
    );
    expect(parseKlogHeader('not klog')).toBeUndefined();
  });

  it('joins continuation lines to their record', async () => {
    const rig = captureRig();
    await feed(new KlogParser(rig.emitter, 'kube-apiserver', 1 << 20), rig, [
      'E0803 19:59:19.929302       1 trace.go:76] Trace[1]: "List" total time: 600ms',
      'Trace[1]: ---"Listing from storage done" 599ms',
      'I0803 19:59:20.000000       1 server.go:10] next',
    ]);
    expect(
      rig.sink.docs.map((d) => [d.doc.severity, d.doc.message, d.doc.component, (d.doc.klog as { file: string }).file]),
    ).toEqual([
      [
        'ERROR',
        'Trace[1]: "List" total time: 600ms\nTrace[1]: ---"Listing from storage done" 599ms',
        'kube-apiserver',
        'trace.go',
      ],
      ['INFO', 'next', 'kube-apiserver', 'server.go'],
    ]);
  });
});

describe('audit events', () => {
  const event = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    auditID: 'a1',
    stage: 'ResponseComplete',
    verb: 'create',
    user: { username: 'alice', groups: ['dev'] },
    sourceIPs: ['10.0.0.1'],
    objectRef: { resource: 'secrets', namespace: 'ns', name: 's', apiVersion: 'v1' },
    requestObject: { kind: 'Secret', data: { password: 'c2VjcmV0' } },
    responseObject: { kind: 'Secret', data: { password: 'c2VjcmV0' } },
    requestReceivedTimestamp: '2024-03-01T10:00:00.000000Z',
    stageTimestamp: '2024-03-01T10:00:00.100000Z',
  };

  it('never ships Secret bodies and keeps who/what/when/from-where', () => {
    const out = sanitizeAuditEvent(event, 1 << 20);
    expect(JSON.stringify(out)).not.toContain('c2VjcmV0');
    expect(out).toMatchObject({
      verb: 'create',
      user: { username: 'alice' },
      sourceIPs: ['10.0.0.1'],
      objectRef: { name: 's' },
      '@timestamp': '2024-03-01T10:00:00.100000Z',
    });
    expect(out.objectTrimmed).toEqual(['requestObject:secret', 'responseObject:secret']);
  });

  it('trims large bodies, derives the id from the content, and ships a damaged line as metadata only', async () => {
    const rig = captureRig();
    const pod = {
      ...event,
      objectRef: { resource: 'pods', namespace: 'ns', name: 'p' },
      requestObject: { big: 'x'.repeat(100) },
      responseObject: { small: 1 },
    };
    const options = { maxObjectBytes: 50, omitBodiesOf: ['secrets'] };
    const cut = JSON.stringify({ ...event, requestObject: { data: { password: 'c2VjcmV0'.repeat(10) } } }).slice(
      0,
      170,
    );
    await feed(new AuditParser(rig.emitter, options, 1 << 20), rig, [JSON.stringify(pod), '{broken', cut]);
    expect(rig.sink.docs[0]).toMatchObject({
      id: auditDocumentId(pod),
      index: 'wk-audit-2024.03.01',
      doc: {
        responseObject: { small: 1 },
        objectTrimmed: [`requestObject:${JSON.stringify(pod.requestObject).length}`],
      },
    });
    expect(rig.sink.docs[1]!.doc).toMatchObject({ parse_error: 'not_audit_json', bytes: 7 });
    expect(rig.sink.docs[2]!.doc).toMatchObject({
      parse_error: 'not_audit_json',
      auditID: 'a1',
      stage: 'ResponseComplete',
      verb: 'create',
    });
    expect(JSON.stringify(rig.sink.docs)).not.toContain('c2VjcmV0');
    expect(JSON.stringify(rig.sink.docs)).not.toContain('broken');
  });

  it('gives events with a reused or hostile audit ID their own ids, and keeps the id of the same event', () => {
    const real = { ...event, objectRef: { resource: 'pods', name: 'p' } };
    const forged = {
      ...real,
      user: { username: 'mallory' },
      requestReceivedTimestamp: '2024-03-01T10:00:01.000000Z',
      stageTimestamp: '2024-03-01T10:00:01.100000Z',
    };
    expect(auditDocumentId(forged)).not.toBe(auditDocumentId(real));
    expect(auditDocumentId({ ...real })).toBe(auditDocumentId(real));
    expect(auditDocumentId({ ...real, stage: 'RequestReceived' })).not.toBe(auditDocumentId(real));
    expect(auditDocumentId({ ...real, auditID: 'a"b\tc' })).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('never ships bodies of token requests, token reviews or listed resources', () => {
    const token = {
      ...event,
      objectRef: { resource: 'serviceaccounts', subresource: 'token', name: 'default' },
      responseObject: { status: { token: 'eyJhbGciOi' } },
    };
    expect(JSON.stringify(sanitizeAuditEvent(token, 1 << 20))).not.toContain('eyJhbGciOi');
    const review = {
      ...event,
      objectRef: { resource: 'tokenreviews', apiGroup: 'authentication.k8s.io' },
      requestObject: { spec: { token: 'eyJhbGciOi' } },
    };
    expect(JSON.stringify(sanitizeAuditEvent(review, 1 << 20))).not.toContain('eyJhbGciOi');
    const configmap = {
      ...event,
      objectRef: { resource: 'configmaps', name: 'db' },
      requestObject: { data: { password: 'hunter2' } },
    };
    expect(JSON.stringify(sanitizeAuditEvent(configmap, 1 << 20))).toContain('hunter2');
    expect(JSON.stringify(sanitizeAuditEvent(configmap, 1 << 20, ['configmaps']))).not.toContain('hunter2');
  });
});

describe('path metadata', () => {
  it('reads the kubelet pod log layout and the /var/log/containers names', () => {
    expect(pathMetadata('/var/log/pods/kube-system_coredns-5d78c9869d-abcde_0a1b2c3d/coredns/3.log')).toEqual({
      namespace: 'kube-system',
      pod: 'coredns-5d78c9869d-abcde',
      podUid: '0a1b2c3d',
      container: 'coredns',
      restart: 3,
    });
    const id = 'a'.repeat(64);
    expect(pathMetadata(`/var/log/containers/web-0_default_nginx-${id}.log`)).toEqual({
      namespace: 'default',
      pod: 'web-0',
      container: 'nginx',
      containerId: id,
    });
    expect(pathMetadata('/var/log/pods/ns_p_u/c/0.log.20240101-120000')?.container).toBe('c');
    expect(pathMetadata('/var/log/syslog')).toBeUndefined();
  });
});
