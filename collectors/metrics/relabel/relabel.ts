import type { Labels } from '../types.ts';
import { goToLower, goToUpper } from './case-mapping.ts';
import {
  labelNamePattern,
  relabelDefaults,
  validateRelabelConfig,
  type RelabelAction,
  type RelabelConfig,
} from './config.ts';
import { expandTemplate, parseTemplate, type Template } from './expand.ts';
import { hashMod } from './hashmod.ts';
import { compileAnchoredRe2 } from './re2.ts';

/** A relabel rule compiled once: regex built, templates parsed. */
export interface CompiledRelabelRule {
  readonly action: RelabelAction;
  readonly sourceLabels: readonly string[];
  readonly separator: string;
  readonly regex: RegExp;
  readonly modulus: bigint;
  readonly targetLabel: string;
  readonly targetTemplate: Template;
  readonly replacement: Template;
  /** The rule as configured, for messages. */
  readonly config: RelabelConfig;
}

/** A rule list that failed validation: names the rule (0-based index) and what is wrong. */
export class RelabelConfigError extends Error {
  /** Stable error code. */
  readonly code = 'RELABEL_CONFIG';
  /** 0-based index of the rule. */
  readonly index: number;
  constructor(index: number, reason: string) {
    super(`relabel rule ${index}: ${reason}`);
    this.name = 'RelabelConfigError';
    this.index = index;
  }
}

/** Compiles rules once (they are validated again, so rules built in code get the schema's checks). */
export function compileRelabelRules(configs: readonly RelabelConfig[]): CompiledRelabelRule[] {
  return configs.map((config, index) => {
    const problem = validateRelabelConfig(config);
    if (problem) throw new RelabelConfigError(index, problem.message);
    return {
      action: config.action,
      sourceLabels: config.source_labels ?? [],
      separator: config.separator,
      regex: compileAnchoredRe2(config.regex ?? relabelDefaults.regex),
      modulus: BigInt(config.modulus ?? 1),
      targetLabel: config.target_label ?? '',
      targetTemplate: parseTemplate(config.target_label ?? ''),
      replacement: parseTemplate(config.replacement),
      config,
    };
  });
}

/**
 * Label set under relabeling with the iteration order of Prometheus' labels.Builder: labels not yet set by a
 * rule in name order, then labels set by rules in the order they were first set. Only labelmap can tell the
 * difference (two names mapped to one: the last one wins).
 */
class LabelBuilder {
  readonly map: Map<string, string>;
  private readonly setByRule = new Set<string>();

  constructor(labels: Labels) {
    this.map = new Map(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  get(name: string): string {
    return this.map.get(name) ?? '';
  }

  /** An empty value deletes, as in Prometheus. */
  set(name: string, value: string): void {
    if (value === '') {
      this.del(name);
      return;
    }
    if (!this.setByRule.has(name)) {
      this.map.delete(name);
      this.setByRule.add(name);
    }
    this.map.set(name, value);
  }

  del(name: string): void {
    this.map.delete(name);
    this.setByRule.delete(name);
  }
}

/**
 * Applies rules in order to a label set (`__name__` included for samples). Returns the new labels, or undefined
 * when a keep/drop/keepequal/dropequal rule dropped it. The input is not changed.
 */
export function applyRelabel(labels: Labels, rules: readonly CompiledRelabelRule[]): Labels | undefined {
  if (rules.length === 0) return labels;
  const lb = new LabelBuilder(labels);
  for (const rule of rules) {
    if (!applyRule(rule, lb)) return undefined;
  }
  return Object.fromEntries(lb.map);
}

function applyRule(rule: CompiledRelabelRule, lb: LabelBuilder): boolean {
  const val =
    rule.sourceLabels.length === 1
      ? lb.get(rule.sourceLabels[0] ?? '')
      : rule.sourceLabels.map((n) => lb.get(n)).join(rule.separator);
  switch (rule.action) {
    case 'drop':
      return !rule.regex.test(val);
    case 'keep':
      return rule.regex.test(val);
    case 'dropequal':
      return lb.get(rule.targetLabel) !== val;
    case 'keepequal':
      return lb.get(rule.targetLabel) === val;
    case 'replace': {
      const match = rule.regex.exec(val);
      if (!match) return true;
      const target = expandTemplate(rule.targetTemplate, match);
      // An expanded target that is no label name leaves the labels alone (Prometheus 3; 2.x deleted the
      // unexpanded target_label, which cannot exist since it contains a `$`).
      if (!labelNamePattern.test(target)) return true;
      lb.set(target, expandTemplate(rule.replacement, match));
      return true;
    }
    case 'lowercase':
      lb.set(rule.targetLabel, goToLower(val));
      return true;
    case 'uppercase':
      lb.set(rule.targetLabel, goToUpper(val));
      return true;
    case 'hashmod':
      lb.set(rule.targetLabel, hashMod(val, rule.modulus).toString());
      return true;
    case 'labelmap':
      for (const [name, value] of [...lb.map]) {
        const match = rule.regex.exec(name);
        if (!match) continue;
        const mapped = expandTemplate(rule.replacement, match);
        if (labelNamePattern.test(mapped)) lb.set(mapped, value);
      }
      return true;
    case 'labeldrop':
      for (const name of [...lb.map.keys()]) if (rule.regex.test(name)) lb.del(name);
      return true;
    case 'labelkeep':
      for (const name of [...lb.map.keys()]) if (!rule.regex.test(name)) lb.del(name);
      return true;
  }
}
