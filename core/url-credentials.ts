/** A URL with its user and password (if any) replaced by `[masked]`, for logs and printed config. */
export function maskUrlCredentials(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s]*@/i, '$1[masked]@');
}

/** True when the URL carries a user or password. */
export function hasUrlCredentials(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#@\s]*@/i.test(text);
}
