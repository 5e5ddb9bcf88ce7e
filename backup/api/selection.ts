import picomatch from 'picomatch';
import { WatchkeeperError } from '../../core/errors.ts';
import type { KubeObject } from '../../core/kube/types.ts';
import type { ApiBackupConfig } from './config.ts';
import { qualifiedName, type ApiResource } from './discovery.ts';
import { formatSelector, matchesAny, parseLabelSelector, type LabelSelector } from './label-selector.ts';
import { excludeLabel } from './policy.ts';

/** What a backup or restore selects, as the user wrote it (recorded in the manifest). */
export interface SelectionSpec {
  selectors: string[];
  includeNamespaces: string[];
  excludeNamespaces: string[];
  includeResources: string[];
  excludeResources: string[];
  clusterResources: 'none' | 'all' | 'referenced';
}

/** The spec part of an API backup configuration. */
export function selectionSpecOf(config: ApiBackupConfig): SelectionSpec {
  const { selectors, includeNamespaces, excludeNamespaces, includeResources, excludeResources, clusterResources } =
    config;
  return { selectors, includeNamespaces, excludeNamespaces, includeResources, excludeResources, clusterResources };
}

/** A compiled {@link SelectionSpec}: label selectors parsed, globs compiled. */
export class Selection {
  readonly spec: SelectionSpec;
  readonly selectors: LabelSelector[];
  private readonly nsInclude: ((s: string) => boolean) | undefined;
  private readonly nsExclude: ((s: string) => boolean) | undefined;
  private readonly resInclude: ((s: string) => boolean) | undefined;
  private readonly resExclude: ((s: string) => boolean) | undefined;

  /** Throws a usage error naming the bad selector or glob. */
  constructor(spec: SelectionSpec) {
    this.spec = spec;
    this.selectors = spec.selectors.map((s) => parseLabelSelector(s));
    this.nsInclude = globs(spec.includeNamespaces, 'include namespaces');
    this.nsExclude = globs(spec.excludeNamespaces, 'exclude namespaces');
    this.resInclude = globs(spec.includeResources, 'include resources');
    this.resExclude = globs(spec.excludeResources, 'exclude resources');
  }

  /** True when objects of this namespace may be selected. */
  namespaceAllowed(namespace: string): boolean {
    if (this.nsExclude?.(namespace)) return false;
    return this.nsInclude ? this.nsInclude(namespace) : true;
  }

  /** True when this resource may be selected ("resource" and "resource.group" are both tried). */
  resourceAllowed(ref: { group: string; resource: string }): boolean {
    const names = [ref.resource, qualifiedName(ref)];
    if (this.resExclude && names.some((n) => this.resExclude!(n))) return false;
    return this.resInclude ? names.some((n) => this.resInclude!(n)) : true;
  }

  /** True when the object's labels match a selector and it does not carry the exclude label. */
  labelsMatch(object: KubeObject): boolean {
    const labels = object.metadata.labels;
    if (labels?.[excludeLabel] === 'true') return false;
    return matchesAny(this.selectors, labels);
  }

  /** True when a namespaced object is selected: its namespace is allowed and its labels match. */
  namespacedSelected(object: KubeObject): boolean {
    return this.namespaceAllowed(object.metadata.namespace ?? '') && this.labelsMatch(object);
  }

  /**
   * The labelSelector to send with LIST so the server filters: the one selector plus the exclude
   * label; with several selectors (an OR the API cannot express) only the exclude label, the rest
   * is matched here.
   */
  serverSelector(): string {
    const exclude = `${excludeLabel}!=true`;
    return this.selectors.length === 1
      ? [formatSelector(this.selectors[0]!), exclude].filter((s) => s !== '').join(',')
      : exclude;
  }

  /** Whether a discovered resource is listed at all. */
  listed(resource: ApiResource): boolean {
    if (!this.resourceAllowed(resource)) return false;
    return resource.namespaced || this.spec.clusterResources !== 'none';
  }
}

function globs(patterns: readonly string[], what: string): ((s: string) => boolean) | undefined {
  if (patterns.length === 0) return undefined;
  for (const p of patterns) {
    if (p.trim() === '' || /[\s/]/.test(p))
      throw new WatchkeeperError('usage', `${what}: "${p}" is not a name or glob (no spaces or "/")`);
  }
  return picomatch(patterns as string[], { dot: true });
}
