import { describe, expect, it } from 'vitest';
import { formatSelector, matchesAny, matchesSelector, parseLabelSelector } from '../../../backup/api/label-selector.ts';
import { Selection } from '../../../backup/api/selection.ts';

const spec = (
  over: Partial<ConstructorParameters<typeof Selection>[0]> = {},
): ConstructorParameters<typeof Selection>[0] => ({
  selectors: [],
  includeNamespaces: [],
  excludeNamespaces: [],
  includeResources: [],
  excludeResources: [],
  clusterResources: 'referenced',
  ...over,
});

describe('label selectors', () => {
  it.each([
    ['app=web', { app: 'web' }, true],
    ['app==web', { app: 'db' }, false],
    ['app!=web', {}, true],
    ['app!=web', { app: 'web' }, false],
    ['tier in (web, api)', { tier: 'api' }, true],
    ['tier in (web,api)', {}, false],
    ['tier notin (web)', {}, true],
    ['tier notin (web)', { tier: 'web' }, false],
    ['example.com/team', { 'example.com/team': '' }, true],
    ['!example.com/team', { 'example.com/team': 'x' }, false],
    ['app=web,tier in (a,b),!legacy', { app: 'web', tier: 'b' }, true],
    ['app=web,tier in (a,b),!legacy', { app: 'web', tier: 'b', legacy: 'y' }, false],
    ['', { anything: 'x' }, true],
  ])('%s against %j is %s', (text, labels, expected) => {
    expect(matchesSelector(parseLabelSelector(text), labels)).toBe(expected);
  });

  it.each([
    ['app=web=x', 'at position 8'],
    ['app in (a,b', 'expected "," or ")"'],
    ['app = web extra', 'expected "," between requirements'],
    ['-app=web', 'a label key'],
    ['app=web,', 'a label key'],
    ['app=we b', 'expected "," between requirements'],
    ['app=' + 'x'.repeat(64), 'a label value'],
    ['app ~ web', 'expected "=", "==", "!="'],
  ])('"%s" is refused naming the problem (%s)', (text, fragment) => {
    expect(() => parseLabelSelector(text)).toThrow(fragment);
    expect(() => parseLabelSelector(text)).toThrow(`label selector "${text}"`);
  });

  it('formats back to the syntax the API server takes', () => {
    expect(formatSelector(parseLabelSelector(' app == web , tier in ( a , b ) , !x , y '))).toBe(
      'app=web,tier in (a,b),!x,y',
    );
  });

  it('ORs several selectors; none matches everything', () => {
    const selectors = [parseLabelSelector('app=a'), parseLabelSelector('team=b')];
    expect(matchesAny(selectors, { team: 'b' })).toBe(true);
    expect(matchesAny(selectors, { app: 'c' })).toBe(false);
    expect(matchesAny([], undefined)).toBe(true);
  });
});

describe('Selection', () => {
  it('matches namespaces by glob, exclusion winning', () => {
    const s = new Selection(spec({ includeNamespaces: ['prod-*', 'shared'], excludeNamespaces: ['prod-tmp*'] }));
    expect(['prod-eu', 'shared', 'prod-tmp1', 'dev'].map((n) => s.namespaceAllowed(n))).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it('matches resources by plural or plural.group', () => {
    const s = new Selection(
      spec({
        includeResources: ['deployments.apps', 'configmaps', '*.example.com'],
        excludeResources: ['widgets.example.com'],
      }),
    );
    expect(s.resourceAllowed({ group: 'apps', resource: 'deployments' })).toBe(true);
    expect(s.resourceAllowed({ group: '', resource: 'configmaps' })).toBe(true);
    expect(s.resourceAllowed({ group: 'example.com', resource: 'gadgets' })).toBe(true);
    expect(s.resourceAllowed({ group: 'example.com', resource: 'widgets' })).toBe(false);
    expect(s.resourceAllowed({ group: '', resource: 'secrets' })).toBe(false);
  });

  it('the exclude label wins over a matching selector', () => {
    const s = new Selection(spec({ selectors: ['app=web'] }));
    expect(s.labelsMatch({ metadata: { labels: { app: 'web' } } })).toBe(true);
    expect(s.labelsMatch({ metadata: { labels: { app: 'web', 'watchkeeper.io/exclude-from-backup': 'true' } } })).toBe(
      false,
    );
  });

  it('sends one selector to the server with the exclusion, several only the exclusion', () => {
    expect(new Selection(spec({ selectors: ['app in (a,b)'] })).serverSelector()).toBe(
      'app in (a,b),watchkeeper.io/exclude-from-backup!=true',
    );
    expect(new Selection(spec({ selectors: ['a=1', 'b=2'] })).serverSelector()).toBe(
      'watchkeeper.io/exclude-from-backup!=true',
    );
  });

  it('refuses a bad selector or glob before anything runs', () => {
    expect(() => new Selection(spec({ selectors: ['app in web'] }))).toThrow('label selector "app in web"');
    expect(() => new Selection(spec({ includeNamespaces: ['a b'] }))).toThrow('include namespaces: "a b"');
  });
});
