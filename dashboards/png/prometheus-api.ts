import { WatchkeeperError } from '../../core/errors.ts';

/** One series of a query answer: its labels and its points as [unix seconds, value]. */
export interface QuerySeries {
  metric: Record<string, string>;
  points: [number, number][];
}

interface ApiAnswer {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: unknown };
}

/** Reads Prometheus' HTTP query API (instant and range queries) for the PNG renderer. */
export class PrometheusApi {
  readonly #base: string;
  readonly #timeoutMs: number;

  /** `url` is Prometheus' base URL (e.g. http://prometheus:9090); a path prefix such as /prometheus is kept. */
  constructor(url: string, timeoutMs = 30_000) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new WatchkeeperError(
        'usage',
        `--prometheus ${JSON.stringify(url)} is not a URL (e.g. http://prometheus:9090)`,
      );
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new WatchkeeperError(
        'usage',
        `--prometheus ${JSON.stringify(url)}: only http and https URLs are supported`,
      );
    this.#base = parsed.href.replace(/\/+$/, '');
    this.#timeoutMs = timeoutMs;
  }

  /** Fails with a clear error unless Prometheus answers a trivial query. */
  async check(): Promise<void> {
    await this.instant('1');
  }

  /** An instant query at `time` (unix seconds): one point per series. */
  async instant(expr: string, time?: number): Promise<QuerySeries[]> {
    const params = new URLSearchParams({ query: expr });
    if (time !== undefined) params.set('time', String(time));
    const data = await this.#get('/api/v1/query', params, expr);
    if (data.resultType === 'scalar') {
      const [t, v] = data.result as [number, string];
      return [{ metric: {}, points: [[t, Number(v)]] }];
    }
    if (data.resultType !== 'vector') return [];
    return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((s) => ({
      metric: s.metric,
      points: [[s.value[0], Number(s.value[1])]],
    }));
  }

  /** A range query from `start` to `end` (unix seconds) every `step` seconds. */
  async range(expr: string, start: number, end: number, step: number): Promise<QuerySeries[]> {
    const params = new URLSearchParams({ query: expr, start: String(start), end: String(end), step: String(step) });
    const data = await this.#get('/api/v1/query_range', params, expr);
    return (data.result as { metric: Record<string, string>; values: [number, string][] }[]).map((s) => ({
      metric: s.metric,
      points: s.values.map(([t, v]) => [t, Number(v)] as [number, number]),
    }));
  }

  async #get(path: string, params: URLSearchParams, expr: string): Promise<{ resultType: string; result: unknown }> {
    const url = `${this.#base}${path}?${params.toString()}`;
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new WatchkeeperError('failed', `Prometheus at ${this.#base} is unreachable (${why})`, { cause: error });
    }
    const text = await response.text();
    let answer: ApiAnswer;
    try {
      answer = JSON.parse(text) as ApiAnswer;
    } catch {
      throw new WatchkeeperError(
        'failed',
        `${this.#base}${path} answered HTTP ${response.status} with no Prometheus API answer: ${text.slice(0, 200)}`,
      );
    }
    if (answer.status !== 'success' || answer.data === undefined)
      throw new WatchkeeperError(
        'failed',
        `Prometheus refused ${JSON.stringify(expr)}: ${answer.error ?? response.status}`,
      );
    return answer.data;
  }
}
