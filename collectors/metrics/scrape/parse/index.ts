/**
 * The streaming exposition parser: Prometheus text format 0.0.4 and OpenMetrics 1.0 to samples and
 * families. See docs/metrics.md, "Parsing".
 */
export {
  ExpositionParser,
  defaultMaxFamilies,
  defaultMaxLineBytes,
  parseExposition,
  type ExpositionParserOptions,
} from './parser.ts';
export { formatFromContentType, scrapeAcceptHeader } from './content-type.ts';
export { detectFormat } from './detect-format.ts';
