import type { Labels, TargetLabels } from '../types.ts';

/** A target ready to scrape: its URL and the labels every one of its samples gets. */
export interface ResolvedTarget {
  url: URL;
  /** Labels without the `__` ones; `job` and `instance` always set. */
  labels: Labels;
}

/**
 * Turns target labels (after relabeling) into a URL and the public target labels, as Prometheus does:
 * `__scheme__://__address____metrics_path__?__param_<name>=...`; `instance` defaults to `__address__`;
 * labels starting with `__` are left out. Throws naming what is wrong.
 */
export function resolveTarget(target: TargetLabels, job: string): ResolvedTarget {
  const address = target.__address__;
  if (!address) throw new Error('target has no __address__ label');
  const scheme = target.__scheme__ ?? 'http';
  if (scheme !== 'http' && scheme !== 'https') {
    throw new Error(`target ${address}: __scheme__ "${scheme}" is not http or https`);
  }
  if (/[/?#@\s]/.test(address)) throw new Error(`target ${address}: __address__ must be host:port`);
  const path = target.__metrics_path__ ?? '/metrics';
  let url: URL;
  try {
    url = new URL(`${scheme}://${address}${path.startsWith('/') ? path : `/${path}`}`);
  } catch {
    throw new Error(`target ${address}: "${scheme}://${address}${path}" is not a valid URL`);
  }
  // job and instance first, then the rest by name: the same order on every sample, whatever the source's order.
  const labels: Labels = { job: target.job ?? job, instance: target.instance ?? address };
  for (const name of Object.keys(target).sort()) {
    const value = target[name]!;
    if (name.startsWith('__param_')) url.searchParams.append(name.slice('__param_'.length), value);
    else if (!name.startsWith('__') && name !== 'job' && name !== 'instance') labels[name] = value;
  }
  return { url, labels };
}
