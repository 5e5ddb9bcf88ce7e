import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { auditRules } from '../../../audit/rules.ts';

interface Rule {
  alert?: string;
  expr: string;
  labels?: { severity?: string };
}
const rulesFile = join(import.meta.dirname, '../../../alerts/watchkeeper.rules.yaml');
const groups = (parse(readFileSync(rulesFile, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups;
const alert = (name: string): Rule => groups.flatMap((g) => g.rules).find((r) => r.alert === name)!;

describe('audit alerts follow the rule table', () => {
  it('page for exactly the critical rules and warn for the others', () => {
    const critical = auditRules
      .filter((r) => r.severity === 'critical')
      .map((r) => r.id)
      .sort();
    for (const [name, op] of [
      ['WatchkeeperAuditCriticalFinding', '=~'],
      ['WatchkeeperAuditFinding', '!~'],
    ] as const) {
      const match = new RegExp(`rule${op}"([^"]+)"`).exec(alert(name).expr);
      expect(match?.[1]?.split('|').sort(), name).toEqual(critical);
    }
    expect(alert('WatchkeeperAuditCriticalFinding').labels?.severity).toBe('critical');
    expect(alert('WatchkeeperAuditFinding').labels?.severity).toBe('warning');
  });
});
