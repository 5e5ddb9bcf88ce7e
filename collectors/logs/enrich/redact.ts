/** A compiled redaction rule. */
export interface Redaction {
  pattern: RegExp;
  replacement: string;
}

/** Compiles the configured redaction rules (global regular expressions). */
export function compileRedactions(rules: readonly { pattern: string; replacement: string }[]): Redaction[] {
  return rules.map((r) => ({ pattern: new RegExp(r.pattern, 'g'), replacement: r.replacement }));
}

/** Applies every rule to a message. */
export function redact(message: string, rules: readonly Redaction[]): string {
  let out = message;
  for (const rule of rules) out = out.replace(rule.pattern, rule.replacement);
  return out;
}
