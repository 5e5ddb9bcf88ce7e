import { describe, expect, it } from 'vitest';
import { formatFromContentType, scrapeAcceptHeader } from '../../../../collectors/metrics/scrape/parse/content-type.ts';
import { detectFormat } from '../../../../collectors/metrics/scrape/parse/detect-format.ts';

describe('content negotiation', () => {
  it('asks for OpenMetrics first, then the text format, then anything', () => {
    const offers = scrapeAcceptHeader.split(',').map((part) => part.split(';')[0]);
    expect(offers).toEqual(['application/openmetrics-text', 'application/openmetrics-text', 'text/plain', '*/*']);
    expect(scrapeAcceptHeader).toContain('text/plain;version=0.0.4;q=0.5');
  });

  it.each([
    ['application/openmetrics-text; version=1.0.0; charset=utf-8', 'openmetrics'],
    ['Application/OpenMetrics-Text;version=0.0.1', 'openmetrics'],
    ['text/plain; version=0.0.4; charset=utf-8', 'text'],
    ['text/plain', 'text'],
    ['', 'text'],
    [undefined, 'text'],
    [null, 'text'],
    ['application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited', undefined],
    ['application/json', undefined],
    ['text/html; charset=utf-8', undefined],
  ] as const)('Content-Type %j is read as %s', (contentType, format) => {
    expect(formatFromContentType(contentType)).toBe(format);
  });
});

describe('format detection for inputs without a Content-Type', () => {
  it('picks OpenMetrics when the last line is # EOF', () => {
    expect(detectFormat('a 1\n', '# EOF')).toBe('openmetrics');
    expect(detectFormat('a 1\n# EOF\n')).toBe('openmetrics');
  });

  it('picks OpenMetrics on # UNIT, an OpenMetrics-only type, or a counter family named without _total', () => {
    expect(detectFormat('# UNIT a_seconds seconds\n')).toBe('openmetrics');
    expect(detectFormat('# TYPE a info\n')).toBe('openmetrics');
    expect(detectFormat('# TYPE a stateset\n')).toBe('openmetrics');
    expect(detectFormat('# TYPE requests counter\n# HELP requests x\nrequests_total{a="b"} 1\n')).toBe('openmetrics');
  });

  it('picks the text format otherwise', () => {
    expect(detectFormat('# TYPE requests_total counter\nrequests_total 1\n')).toBe('text');
    expect(detectFormat('# TYPE requests counter\nrequests 1\n')).toBe('text');
    expect(detectFormat('a 1\n', 'a 1')).toBe('text');
    expect(detectFormat('')).toBe('text');
  });
});
