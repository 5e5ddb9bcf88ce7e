import { lookup } from 'node:dns/promises';
import { request } from 'node:http';
import { workloadName } from '../labels.ts';
import { ProbeFailure, type ProbeContext, type ProbeStep } from '../step.ts';
import { seconds, unlessAborted, waitFor } from '../wait.ts';

/**
 * Step "in-cluster": from inside the cluster, the Service name resolves through cluster DNS and an
 * HTTP GET through the Service reaches a probe pod. Off outside the cluster (`prober.inCluster`).
 */
export const inClusterStep = (timeoutMs: number): ProbeStep => ({
  name: 'in-cluster',
  timeoutMs,
  skip(ctx: ProbeContext): string | undefined {
    if (ctx.config.inCluster === 'off') return 'disabled (prober.inCluster: off)';
    if (ctx.config.inCluster === 'auto' && !ctx.inCluster)
      return 'not running inside the cluster (prober.inCluster: auto)';
    return undefined;
  },
  async run(ctx: ProbeContext): Promise<string> {
    const { signal } = ctx;
    const host = `${workloadName}.${ctx.namespace}.svc`;
    ctx.progress(`resolving ${host}`);
    let lastDnsError = '';
    const address = await waitFor(
      signal,
      async () => {
        try {
          return (await unlessAborted(lookup(host), signal))?.address;
        } catch (error) {
          lastDnsError = (error as NodeJS.ErrnoException).code ?? String(error);
          return undefined;
        }
      },
      500,
    );
    if (!address)
      throw new ProbeFailure(
        `service ${workloadName}: DNS name ${host} did not resolve within ${seconds(timeoutMs)} (${lastDnsError || 'no answer'})`,
      );

    const url = `http://${host}${ctx.config.httpPath}`;
    ctx.progress(`GET ${url}`);
    let lastHttp = '';
    const body = await waitFor(
      signal,
      async () => {
        try {
          const res = await httpGet(url, signal);
          if (res.status === 200) return res.body;
          lastHttp = `HTTP ${res.status}`;
        } catch (error) {
          lastHttp = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
        }
        return undefined;
      },
      500,
    );
    if (body === undefined)
      throw new ProbeFailure(
        `service ${workloadName}: GET ${url} (${address}) got no 200 within ${seconds(timeoutMs)}; last: ${lastHttp || 'no answer'}`,
      );
    return `${host} -> ${address}; GET ${ctx.config.httpPath} answered by ${body.trim().slice(0, 60) || 'a pod'}`;
  },
});

function httpGet(url: string, signal: AbortSignal): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(3000)]) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 4096) body += chunk;
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end();
  });
}
