import { describe, expect, it } from 'vitest';
import { acceptsOpenMetrics } from '../../../../core/http/exposition.ts';
import { metricsSection } from '../../../../collectors/metrics/config.ts';
import { durationMs } from '../../../../collectors/metrics/duration.ts';
import { exposedName } from '../../../../collectors/metrics/exposition/exposed-name.ts';
import { nextScrapeTime, stableHash } from '../../../../collectors/metrics/scrape/scrape-loop.ts';
import { parseSeriesKey, seriesKey } from '../../../../collectors/metrics/scrape/series-key.ts';
import { resolveTarget } from '../../../../collectors/metrics/scrape/target-url.ts';
import { StaticTargetSource } from '../../../../collectors/metrics/static-source.ts';

function problems(raw: unknown): string[] {
  const result = metricsSection.safeParse(raw);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('metrics config', () => {
  it('has defaults for every field of a job', () => {
    const config = metricsSection.parse({ jobs: [{ job: 'node', targets: ['127.0.0.1:9100'] }] });
    expect(config.enabled).toBe(false);
    expect(config.jobs[0]).toMatchObject({
      interval: '30s',
      timeout: '10s',
      scheme: 'http',
      metricsPath: '/metrics',
      sampleLimit: 0,
    });
    expect(config.limits).toEqual({ seriesPerTarget: 250_000, seriesTotal: 1_000_000 });
  });

  it('refuses contradictions and unknown keys, naming the field', () => {
    expect(
      problems({ jobs: [{ job: 'a', targets: ['h:1'], tls: { caFile: '/ca', insecureSkipVerify: true } }] }),
    ).toEqual([expect.stringContaining('insecureSkipVerify and caFile contradict each other')]);
    expect(problems({ jobs: [{ job: 'a', targets: ['h:1'], interval: '5s', timeout: '10s' }] })).toEqual([
      'jobs.0.timeout: timeout must not exceed interval',
    ]);
    expect(problems({ jobs: [{ job: 'a', targets: ['h:1'], interval: 'soon' }] })).toEqual([
      expect.stringContaining('jobs.0.interval'),
    ]);
    expect(problems({ jobs: [{ job: 'a', targets: ['h:1'], tls: { certFile: '/c' } }] })).toEqual([
      expect.stringContaining('certFile and keyFile'),
    ]);
    expect(
      problems({
        jobs: [
          { job: 'a', targets: ['h:1'] },
          { job: 'a', targets: ['h:2'] },
        ],
      }),
    ).toEqual(['jobs: job names must be unique']);
    expect(problems({ jobz: [] })).toHaveLength(1);
  });

  it('reads durations as Prometheus writes them', () => {
    expect(durationMs('1m30s')).toBe(90_000);
    expect(durationMs('500ms')).toBe(500);
    expect(() => durationMs('1.5s')).toThrow('not a duration');
  });
});

describe('static targets', () => {
  const job = (targets: string[]) =>
    metricsSection.parse({
      jobs: [{ job: 'etcd', targets, scheme: 'https', params: { format: 'x' }, labels: { team: 'db' } }],
    }).jobs[0]!;

  it('turns host:port and URL targets into target labels and URLs', () => {
    const [plain, url] = new StaticTargetSource(job(['10.0.0.1:2379', 'http://10.0.0.2:8080/custom?a=1'])).targets();
    expect(plain).toEqual({
      __address__: '10.0.0.1:2379',
      __scheme__: 'https',
      __metrics_path__: '/metrics',
      __param_format: 'x',
      team: 'db',
      job: 'etcd',
    });
    expect(url).toMatchObject({
      __address__: '10.0.0.2:8080',
      __scheme__: 'http',
      __metrics_path__: '/custom',
      __param_a: '1',
    });
    const resolved = resolveTarget(plain!, 'etcd');
    expect(resolved.url.href).toBe('https://10.0.0.1:2379/metrics?format=x');
    expect(Object.entries(resolved.labels)).toEqual([
      ['job', 'etcd'],
      ['instance', '10.0.0.1:2379'],
      ['team', 'db'],
    ]);
  });

  it('names a target that is neither host:port nor a URL, and refuses credentials in URLs', () => {
    expect(problems({ jobs: [{ job: 'a', targets: ['h:1', 'just-a-host'] }] })).toEqual([
      'jobs.0.targets.1: a target as host:port or an http(s) URL; this one is neither host:port nor an ' +
        'http(s) URL',
    ]);
    expect(problems({ jobs: [{ job: 'a', targets: ['http://u:p@h:1/m'] }] })).toEqual([
      expect.stringContaining('put them in basicAuth'),
    ]);
  });
});

describe('scrape schedule', () => {
  it("scrapes at the target's offset in every interval, strictly after now", () => {
    expect(nextScrapeTime(100_000, 15_000, 4_000)).toBe(109_000);
    expect(nextScrapeTime(109_000, 15_000, 4_000)).toBe(124_000);
    expect(nextScrapeTime(108_999, 15_000, 4_000)).toBe(109_000);
  });

  it('spreads targets over the interval with a stable offset', () => {
    const offsets = Array.from({ length: 100 }, (_, i) => stableHash(`node http://10.0.0.${i}:9100/metrics`) % 15_000);
    expect(new Set(offsets).size).toBeGreaterThan(90);
    expect(stableHash('node http://10.0.0.1:9100/metrics')).toBe(stableHash('node http://10.0.0.1:9100/metrics'));
  });
});

describe('series keys and exposed names', () => {
  it('round-trips names and labels, separators in values included', () => {
    const labels = { a: 'x\u0000y', b: '', c: 'ü"\\' };
    expect(parseSeriesKey(seriesKey('m', labels))).toEqual({ name: 'm', labels: { a: 'x\uFFFDy', b: '', c: 'ü"\\' } });
  });

  it('maps sample names to families the agent can expose in both formats', () => {
    expect(exposedName('x_total', { name: 'x', type: 'counter' })).toEqual({ family: 'x_total', type: 'counter' });
    expect(exposedName('x_created', { name: 'x', type: 'counter' })).toEqual({ family: 'x_created', type: 'gauge' });
    expect(exposedName('h_bucket', { name: 'h', type: 'histogram' })).toEqual({ family: 'h', type: 'histogram' });
    expect(exposedName('s', { name: 's', type: 'summary' })).toEqual({ family: 's', type: 'summary' });
    expect(exposedName('i_info', { name: 'i', type: 'info' })).toEqual({ family: 'i_info', type: 'untyped' });
    expect(exposedName('legacy', { name: 'legacy', type: 'counter' })).toEqual({ family: 'legacy', type: 'untyped' });
  });

  it('answers OpenMetrics only to clients that accept it', () => {
    expect(acceptsOpenMetrics('application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5')).toBe(true);
    expect(acceptsOpenMetrics('application/openmetrics-text;q=0,text/plain')).toBe(false);
    expect(acceptsOpenMetrics('text/plain')).toBe(false);
    expect(acceptsOpenMetrics(undefined)).toBe(false);
  });
});
