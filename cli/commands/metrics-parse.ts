import { notBuiltCommand } from './not-built.ts';
import type { Command } from 'commander';

/** `watchkeeper metrics parse [FILE|-]`: prints one JSON object per sample of an exposition body. */
export function metricsParseCommand(): Command {
  return notBuiltCommand('parse', 'parse a Prometheus text or OpenMetrics body and print its samples', 'the exposition parser');
}
