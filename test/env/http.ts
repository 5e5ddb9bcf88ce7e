import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';

/** TLS and auth of a readiness request. */
export interface GetOptions {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  token?: string;
  /** HTTP basic authentication. */
  basicAuth?: { username: string; password: string };
  /** Accept any server certificate (components with self-signed serving certs). */
  insecure?: boolean;
  timeoutMs?: number;
}

/** A small GET for readiness checks of the environment's servers. */
export function httpGet(url: string, options: GetOptions = {}): Promise<{ status: number; body: string }> {
  return httpCall('GET', url, undefined, options);
}

/** A small request with an optional JSON body, for setting up the environment. */
export function httpCall(
  method: string,
  url: string,
  body: unknown,
  options: GetOptions = {},
): Promise<{ status: number; body: string }> {
  const secure = url.startsWith('https:');
  const send = secure ? httpsRequest : httpRequest;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method,
        timeout: options.timeoutMs ?? 2_000,
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.basicAuth
            ? {
                authorization: `Basic ${Buffer.from(`${options.basicAuth.username}:${options.basicAuth.password}`).toString('base64')}`,
              }
            : {}),
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(secure
          ? {
              ca: options.caFile ? readFileSync(options.caFile) : undefined,
              cert: options.certFile ? readFileSync(options.certFile) : undefined,
              key: options.keyFile ? readFileSync(options.keyFile) : undefined,
              rejectUnauthorized: !options.insecure,
            }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}
