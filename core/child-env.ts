/**
 * Environment variables a child process may inherit: what locates programs, users, locales, time
 * zones, temporary directories and proxies. Nothing else of watchkeeper's environment (backup
 * keys, S3 and Elasticsearch credentials, WATCHKEEPER_CFG__* overrides) reaches a child.
 */
const inherited =
  /^(PATH|HOME|USER|LOGNAME|LANG|LANGUAGE|LC_[A-Z]+|TZ|TMPDIR|SSL_CERT_FILE|SSL_CERT_DIR|(HTTPS?|NO)_PROXY|(https?|no)_proxy)$/;

/**
 * The environment of a child process: the harmless variables of `env` (see above) plus `extra`,
 * which wins. A child that needs a credential gets it only through `extra`, by name.
 */
export function childEnv(
  extra: Record<string, string> = {},
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && inherited.test(name)) out[name] = value;
  return { ...out, ...extra };
}
