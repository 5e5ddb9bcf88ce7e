/** Keys whose values are credentials; `config check` and logs never show them. */
const secretKey = /(password|secret|token|secretAccessKey|encryptionKey|credentials|apiKey)$/i;

/** True when a config key holds a credential (its value is never printed, masked or in an error). */
export function isCredentialKey(key: string): boolean {
  return secretKey.test(key);
}

/** Returns a deep copy of a config value with every credential replaced by '[masked]'. */
export function maskSecrets(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v, k)]));
  }
  if (value !== undefined && value !== '' && secretKey.test(key)) return '[masked]';
  return value;
}
