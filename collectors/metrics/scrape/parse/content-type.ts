import type { ExpositionFormat } from '../../types.ts';

/**
 * The Accept header a scrape sends: OpenMetrics 1.0.0 first, then OpenMetrics 0.0.1, then the
 * Prometheus text format 0.0.4, then anything (parsed as text), with the quality values Prometheus 2
 * sends (prometheus.io, "Scrape protocol content negotiation"). The escaping parameter is left out on
 * purpose: the parser reads legacy metric names only, not the quoted UTF-8 names of text 1.0.0.
 */
export const scrapeAcceptHeader =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,' +
  'text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/**
 * The exposition format a response's Content-Type names: `openmetrics` for
 * `application/openmetrics-text` (any version), `text` for `text/plain` and for a missing or empty
 * header (as Prometheus 2 did), `undefined` for any other media type (protobuf, JSON, HTML...), which
 * this parser cannot read: the caller reports it instead of parsing garbage.
 */
export function formatFromContentType(contentType: string | null | undefined): ExpositionFormat | undefined {
  if (contentType === null || contentType === undefined) return 'text';
  const semicolon = contentType.indexOf(';');
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  if (mediaType === '') return 'text';
  if (mediaType === 'application/openmetrics-text') return 'openmetrics';
  if (mediaType === 'text/plain') return 'text';
  return undefined;
}
