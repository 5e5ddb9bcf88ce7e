import { escapeHelp, formatValue, labelText } from '../exposition/exposition-text.ts';
import type { ExpositionHandler, FamilyMeta, Sample } from '../types.ts';

/**
 * Collects samples handed to it as an {@link ExpositionHandler} and writes them in the Prometheus text format
 * 0.0.4, each family's samples together under its HELP and TYPE (the node collector emits some families, such
 * as node_scrape_collector_success, interleaved with others).
 */
export class TextExposition implements ExpositionHandler {
  private readonly families = new Map<string, { meta: FamilyMeta; lines: string[] }>();

  sample(sample: Sample, family: FamilyMeta): void {
    let entry = this.families.get(family.name);
    if (!entry) {
      entry = { meta: family, lines: [] };
      this.families.set(family.name, entry);
    }
    const labels = labelText(sample.labels);
    entry.lines.push(`${sample.name}${labels ? `{${labels}}` : ''} ${formatValue(sample.value)}`);
  }

  /** The exposition text of every sample received. */
  text(): string {
    let text = '';
    for (const { meta, lines } of this.families.values()) {
      if (meta.help !== undefined) text += `# HELP ${meta.name} ${escapeHelp(meta.help, false)}\n`;
      text += `# TYPE ${meta.name} ${textType(meta.type)}\n${lines.join('\n')}\n`;
    }
    return text;
  }
}

/** The text format's name of a type; types it lacks are untyped. */
function textType(type: FamilyMeta['type']): string {
  return type === 'counter' || type === 'gauge' || type === 'histogram' || type === 'summary' ? type : 'untyped';
}
