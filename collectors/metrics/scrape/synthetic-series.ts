import type { FamilyMeta } from '../types.ts';

/** The per-target series every scrape produces, as Prometheus does (prometheus.io, "Jobs and instances"). */
export const syntheticFamilies = {
  up: { name: 'up', type: 'gauge', help: "1 if the target's last scrape succeeded, 0 otherwise." },
  duration: { name: 'scrape_duration_seconds', type: 'gauge', help: "Duration of the target's last scrape." },
  samplesScraped: {
    name: 'scrape_samples_scraped',
    type: 'gauge',
    help: 'Samples the target exposed in its last scrape.',
  },
  samplesPostRelabeling: {
    name: 'scrape_samples_post_metric_relabeling',
    type: 'gauge',
    help: "Samples left after metric relabeling in the target's last scrape.",
  },
  seriesAdded: { name: 'scrape_series_added', type: 'gauge', help: "New series in the target's last scrape." },
} as const satisfies Record<string, FamilyMeta>;
