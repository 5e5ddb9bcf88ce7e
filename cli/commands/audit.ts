import { Command } from 'commander';
import type { Config } from '../../core/config/schema.ts';
import { WatchkeeperError } from '../../core/errors.ts';
import type { AuditSource, SearchStats } from '../../audit/source.ts';
import { timeRange } from '../../audit/time-range.ts';
import { configFromOptions, withConfigOptions, type ConfigOptions } from '../options.ts';

interface CommonOptions extends ConfigOptions {
  since?: string;
  until?: string;
  output: string;
}

/** The configured sink, read back: Elasticsearch or the directory sink's files. */
async function sourceFor(config: Config): Promise<AuditSource> {
  if (config.logs.sink === 'elasticsearch') {
    const { ElasticsearchAuditSource } = await import('../../audit/sources/elasticsearch.ts');
    const es = config.logs.elasticsearch;
    return new ElasticsearchAuditSource({
      url: es.url,
      indexPrefix: es.indexPrefix,
      mode: es.mode,
      requestTimeoutSeconds: es.requestTimeoutSeconds,
      ...(es.username ? { username: es.username } : {}),
      ...(es.password ? { password: es.password } : {}),
      ...(es.apiKey ? { apiKey: es.apiKey } : {}),
      ...(es.caFile ? { caFile: es.caFile } : {}),
    });
  }
  const { DirectoryAuditSource } = await import('../../audit/sources/directory.ts');
  return new DirectoryAuditSource(config.logs.directory.path);
}

function common(command: Command): Command {
  return withConfigOptions(command)
    .option(
      '--since <time>',
      'start of the range: a duration before now (30m, 24h, 7d) or an RFC 3339 time (default: 24h before --until)',
    )
    .option('--until <time>', 'end of the range: a duration before now or an RFC 3339 time (default: now)')
    .option('-o, --output <format>', 'table or json', 'table');
}

/**
 * Runs one question against the configured sink and prints its answer. Exit 1 when the sink
 * holds no audit event at all in the range: then nothing can be answered, and the message says
 * where to look.
 */
async function answer<T extends { stats: SearchStats }>(
  options: CommonOptions,
  ask: (source: AuditSource, range: { since: Date; until: Date }) => Promise<T>,
  table: (answer: T) => string,
): Promise<void> {
  if (options.output !== 'table' && options.output !== 'json')
    throw new WatchkeeperError('usage', `--output: expected table or json, found "${options.output}"`);
  const range = timeRange(options.since, options.until);
  const config = await configFromOptions(options);
  const source = await sourceFor(config);
  try {
    const result = await ask(source, range);
    process.stdout.write(
      options.output === 'json'
        ? `${JSON.stringify({ source: source.description, ...result }, null, 2)}\n`
        : table(result),
    );
    if (result.stats.inRange === 0) {
      process.stderr.write(
        `watchkeeper: ${source.description} holds no audit events between ${range.since.toISOString()} and ${range.until.toISOString()}: ` +
          'is the range right, and is the agent shipping the audit log (logs.audit.paths or logs.auditWebhook) to this sink?\n',
      );
      process.exitCode = 1;
    }
  } finally {
    await source.close();
  }
}

/** `watchkeeper audit who|history|user|suspicious`: questions answered from the shipped audit events. */
export function auditCommand(): Command {
  const audit = new Command('audit')
    .description(
      'answer questions from the shipped audit events: who did it, what happened to an object, what a user did, what looks suspicious',
    )
    .addHelpText(
      'after',
      `
Examples:
  watchkeeper audit who delete pods/web-0 -n shop
  watchkeeper audit who scale deployments/web -n shop --since 7d
  watchkeeper audit history deployments/web -n shop
  watchkeeper audit user alice@example.com -o json
  watchkeeper audit suspicious --since 1h
Reads the sink the agent ships to (logs.sink: elasticsearch or directory). Guide: docs/audit.md.`,
    );

  audit.addCommand(
    common(new Command('who'))
      .description(
        'who did <verb> to a resource or one object: time, user, groups, source IPs, user agent, answer code, and what changed',
      )
      .argument(
        '<verb>',
        'create, update, patch, delete, change (any write), scale, exec, attach, portforward, get, list, watch',
      )
      .argument('<resource>', '<resource>[.<group>][/<name>], e.g. pods/web-0, deploy/web, clusterrolebindings')
      .option('-n, --namespace <ns>', 'namespace of the object')
      .addHelpText(
        'after',
        `
Examples:
  watchkeeper audit who delete pods/web-0 -n shop
  watchkeeper audit who patch deployments.apps/web -n shop --since 2026-05-01T08:00:00Z --until 2026-05-01T12:00:00Z
  watchkeeper audit who exec pods -n shop -o json
What changed needs the RequestResponse audit level (Request shows the patch sent); Metadata shows who and when only.
Exit codes: 0 answered, 1 sink unreachable or no audit events in the range, 2 bad usage or configuration.`,
      )
      .action(async (verb: string, resource: string, options: CommonOptions & { namespace?: string }) => {
        const [{ who }, { parseResourceRef, verbSpec }, { formatActions }] = await Promise.all([
          import('../../audit/questions/who.ts'),
          import('../../audit/resource.ts'),
          import('../../audit/format.ts'),
        ]);
        verbSpec(verb);
        const ref = parseResourceRef(resource);
        await answer(
          options,
          (source, range) =>
            who(source, { verb, ref, ...(options.namespace ? { namespace: options.namespace } : {}), ...range }),
          formatActions,
        );
      }),
  );

  audit.addCommand(
    common(new Command('history'))
      .description(
        "an object's story in time order: created, each change with who (person or controller) and the fields changed, deleted",
      )
      .argument('<resource/name>', 'e.g. deployments/web, replicasets.apps/web-5d8f, pods/web-0')
      .option('-n, --namespace <ns>', 'namespace of the object')
      .addHelpText(
        'after',
        `
Examples:
  watchkeeper audit history deployments/web -n shop
  watchkeeper audit history replicasets/web-7c9d6 -n shop --since 3d -o json
The ACTOR column tells people from controllers (a Deployment scaled by the HPA is "controller").
Exit codes: 0 answered, 1 sink unreachable or no audit events in the range, 2 bad usage or configuration.`,
      )
      .action(async (resource: string, options: CommonOptions & { namespace?: string }) => {
        const [{ history }, { parseResourceRef }, { formatActions }] = await Promise.all([
          import('../../audit/questions/history.ts'),
          import('../../audit/resource.ts'),
          import('../../audit/format.ts'),
        ]);
        const ref = parseResourceRef(resource, true) as ReturnType<typeof parseResourceRef> & { name: string };
        await answer(
          options,
          (source, range) =>
            history(source, { ref, ...(options.namespace ? { namespace: options.namespace } : {}), ...range }),
          formatActions,
        );
      }),
  );

  audit.addCommand(
    common(new Command('user'))
      .description(
        'what one user or service account did (also while impersonating or impersonated), grouped by verb and resource',
      )
      .argument('<name>', 'username as the API server records it, e.g. alice or system:serviceaccount:shop:deployer')
      .addHelpText(
        'after',
        `
Examples:
  watchkeeper audit user alice
  watchkeeper audit user system:serviceaccount:ci:deployer --since 7d -o json
Exit codes: 0 answered, 1 sink unreachable or no audit events in the range, 2 bad usage or configuration.`,
      )
      .action(async (name: string, options: CommonOptions) => {
        const [{ userActivity }, { formatUser }] = await Promise.all([
          import('../../audit/questions/user.ts'),
          import('../../audit/format.ts'),
        ]);
        await answer(options, (source, range) => userActivity(source, name, range.since, range.until), formatUser);
      }),
  );

  audit.addCommand(
    common(new Command('suspicious'))
      .description(
        'findings of the detection rules: secrets read in bulk, exec/attach, privileged or hostPath pods, cluster-admin bindings, ' +
          'allowed anonymous requests, impersonation, tokens for other service accounts, admission/RBAC/audit changes, bursts of denials',
      )
      .addHelpText(
        'after',
        `
Examples:
  watchkeeper audit suspicious
  watchkeeper audit suspicious --since 1h -o json | jq '.findings[] | {rule, user, events: [.events[].auditID]}'
Each finding lists the events behind it (auditID, time, user). Rules that need request bodies say so when the audit level lacks them.
Exit codes: 0 answered (with or without findings), 1 sink unreachable or no audit events in the range, 2 bad usage or configuration.`,
      )
      .action(async (options: CommonOptions) => {
        const [{ suspicious }, { formatSuspicious }] = await Promise.all([
          import('../../audit/questions/suspicious.ts'),
          import('../../audit/format.ts'),
        ]);
        await answer(options, (source, range) => suspicious(source, range.since, range.until), formatSuspicious);
      }),
  );
  return audit;
}
