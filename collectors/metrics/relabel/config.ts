import { z } from 'zod';
import { compileAnchoredRe2, Re2SyntaxError } from './re2.ts';

/** The relabel actions Prometheus knows. */
export const relabelActions = [
  'replace',
  'keep',
  'drop',
  'keepequal',
  'dropequal',
  'hashmod',
  'labelmap',
  'labeldrop',
  'labelkeep',
  'lowercase',
  'uppercase',
] as const;

/** One relabel action. */
export type RelabelAction = (typeof relabelActions)[number];

/** Prometheus' defaults, applied when a field is left out. */
export const relabelDefaults = { separator: ';', regex: '(.*)', replacement: '$1', action: 'replace' } as const;

/** A label name as the text exposition format allows it (Prometheus' legacy validation). */
export const labelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** A target label that may contain `$1` / `${name}` references (Prometheus' relabelTargetLegacy). */
const templatedLabelPattern = /^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$/;

/**
 * One relabel rule, with Prometheus' snake_case keys so a `relabel_configs` list can be pasted as it is.
 * Validated like Prometheus validates it (model/relabel Config.Validate), with the same messages.
 */
export const relabelConfigSchema = z
  .strictObject({
    source_labels: z
      .array(z.string().regex(labelNamePattern, 'expected a label name ([a-zA-Z_][a-zA-Z0-9_]*)'))
      .optional()
      .describe(
        'Labels whose values are joined with `separator` and matched against `regex`. ' +
          'Default: none (the empty string).',
      ),
    separator: z.string().default(relabelDefaults.separator).describe('Placed between the joined source label values.'),
    regex: z
      .string()
      .optional()
      .describe(
        'RE2 regular expression, fully anchored, matched against the joined value (or label names for labelmap, ' +
          'labeldrop, labelkeep). Default: (.*).',
      ),
    modulus: z
      .number()
      .int()
      .min(1)
      .max(Number.MAX_SAFE_INTEGER)
      .optional()
      .describe('Modulus of the hash for hashmod.'),
    target_label: z
      .string()
      .optional()
      .describe(
        'Label written by replace (may use $1, ${name}), hashmod, lowercase, uppercase; ' +
          'compared by keepequal and dropequal.',
      ),
    replacement: z
      .string()
      .default(relabelDefaults.replacement)
      .describe('Value written by replace, or label name written by labelmap; $1, ${1}, $name refer to regex groups.'),
    action: z
      .string()
      .default(relabelDefaults.action)
      .transform((s) => s.toLowerCase())
      .pipe(z.enum(relabelActions, { error: (issue) => `unknown relabel action ${JSON.stringify(issue.input)}` }))
      .describe(`What the rule does: ${relabelActions.join(', ')}.`),
  })
  .superRefine((c, ctx) => {
    const problem = validateRelabelConfig(c);
    if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
  });

/** A relabel rule as the schema returns it (defaults applied). */
export type RelabelConfig = z.output<typeof relabelConfigSchema>;

/** A list of relabel rules (`relabel_configs`, `metric_relabel_configs`). */
export const relabelConfigsSchema = z
  .array(relabelConfigSchema)
  .default([])
  .describe('Prometheus relabel_configs, applied in order.');

/** The first thing wrong with a rule, in Prometheus' words, or undefined. */
export function validateRelabelConfig(c: RelabelConfig): { message: string; path: string[] } | undefined {
  const a = c.action;
  const target = c.target_label;
  if (a === 'hashmod' && c.modulus === undefined) {
    return { message: 'relabel configuration for hashmod requires non-zero modulus', path: ['modulus'] };
  }
  const needsTarget = ['replace', 'hashmod', 'lowercase', 'uppercase', 'keepequal', 'dropequal'].includes(a);
  if (needsTarget && !target) {
    return { message: `relabel configuration for ${a} action requires 'target_label' value`, path: ['target_label'] };
  }
  if (target !== undefined && needsTarget) {
    const valid =
      a === 'replace' && target.includes('$') ? templatedLabelPattern.test(target) : labelNamePattern.test(target);
    if (!valid)
      return { message: `${JSON.stringify(target)} is invalid 'target_label' for ${a} action`, path: ['target_label'] };
  }
  if (
    ['lowercase', 'uppercase', 'keepequal', 'dropequal'].includes(a) &&
    c.replacement !== relabelDefaults.replacement
  ) {
    return { message: `'replacement' can not be set for ${a} action`, path: ['replacement'] };
  }
  if (a === 'labelmap' && !templatedLabelPattern.test(c.replacement)) {
    return {
      message: `${JSON.stringify(c.replacement)} is invalid 'replacement' for ${a} action`,
      path: ['replacement'],
    };
  }
  if (
    (a === 'keepequal' || a === 'dropequal') &&
    (c.regex !== undefined || c.modulus !== undefined || c.separator !== relabelDefaults.separator)
  ) {
    return { message: `${a} action requires only 'source_labels' and \`target_label\`, and no other fields`, path: [] };
  }
  if (
    (a === 'labeldrop' || a === 'labelkeep') &&
    (c.source_labels !== undefined ||
      target !== undefined ||
      c.modulus !== undefined ||
      c.separator !== relabelDefaults.separator ||
      c.replacement !== relabelDefaults.replacement)
  ) {
    return { message: `${a} action requires only 'regex', and no other fields`, path: [] };
  }
  try {
    compileAnchoredRe2(c.regex ?? relabelDefaults.regex);
  } catch (error) {
    if (error instanceof Re2SyntaxError) return { message: error.message, path: ['regex'] };
    throw error;
  }
  return undefined;
}
