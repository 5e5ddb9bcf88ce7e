import { readFile } from 'node:fs/promises';
import { Etcd3, type IOptions } from 'etcd3';
import { WatchkeeperError, describeError } from '../../core/errors.ts';
import type { EtcdConfig } from '../config.ts';

/** TLS and auth material read from the files named in the configuration. */
export interface EtcdCredentials {
  tls?: { ca?: Buffer | undefined; cert?: Buffer | undefined; key?: Buffer | undefined };
  auth?: { username: string; password: string };
}

/** Reads the CA, client certificate, key and password files of `backup.etcd`. */
export async function loadEtcdCredentials(config: EtcdConfig): Promise<EtcdCredentials> {
  const read = async (file: string | undefined, what: string): Promise<Buffer | undefined> => {
    if (file === undefined) return undefined;
    try {
      return await readFile(file);
    } catch (error) {
      throw new WatchkeeperError(
        'usage',
        `etcd ${what} ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? describeError(error)})`,
      );
    }
  };
  const credentials: EtcdCredentials = {};
  if (config.caFile !== undefined || config.certFile !== undefined) {
    credentials.tls = {
      ca: await read(config.caFile, 'CA file'),
      cert: await read(config.certFile, 'certificate file'),
      key: await read(config.keyFile, 'key file'),
    };
  }
  if (config.username !== undefined) {
    const password = config.password ?? (await read(config.passwordFile, 'password file'))?.toString('utf8').trim();
    if (password === undefined)
      throw new WatchkeeperError('usage', 'backup.etcd.username is set but neither password nor passwordFile is');
    credentials.auth = { username: config.username, password };
  }
  return credentials;
}

/**
 * A client bound to exactly one member. etcd3 picks a random host among several, so every
 * snapshot and status call uses a client made for its single endpoint.
 */
export function clientForEndpoint(endpoint: string, credentials: EtcdCredentials, dialTimeoutMs: number): Etcd3 {
  const options: IOptions = {
    hosts: [endpoint],
    dialTimeout: dialTimeoutMs,
    // gRPC's default 64 KiB HTTP/2 window makes a snapshot stream wait for a round trip every
    // 64 KiB; 4 MiB lets it run at disk speed while still bounding what is in flight.
    grpcOptions: { 'grpc-node.flow_control_window': 4 * 1024 * 1024 },
  };
  if (credentials.tls) {
    if (!credentials.tls.ca) {
      throw new WatchkeeperError(
        'usage',
        'backup.etcd.certFile needs backup.etcd.caFile (the CA of the etcd server certificates)',
      );
    }
    options.credentials = {
      rootCertificate: credentials.tls.ca,
      ...(credentials.tls.key ? { privateKey: credentials.tls.key } : {}),
      ...(credentials.tls.cert ? { certChain: credentials.tls.cert } : {}),
    };
  }
  if (credentials.auth) options.auth = { username: credentials.auth.username, password: credentials.auth.password };
  return new Etcd3(options);
}

/** Turns gRPC and etcd errors into a sentence that names the endpoint and the likely cause. */
export function etcdError(endpoint: string, what: string, error: unknown): WatchkeeperError {
  if (error instanceof WatchkeeperError) return error;
  const text = describeError(error);
  let reason = text;
  if (/authentication failed|invalid auth token|user name is empty|ErrAuthFailed/i.test(text))
    reason = `authentication failed (check backup.etcd.username and password): ${text}`;
  else if (/permission denied/i.test(text))
    reason = `permission denied (the etcd user needs the root role to take snapshots): ${text}`;
  else if (
    /ECONNREFUSED|UNAVAILABLE|No connection established|deadline|DEADLINE_EXCEEDED|failed to connect/i.test(text)
  )
    reason = `etcd is unreachable: ${text}`;
  else if (/certificate|SSL|TLS|handshake/i.test(text))
    reason = `TLS failed (check caFile, certFile, keyFile): ${text}`;
  return new WatchkeeperError('failed', `etcd ${endpoint}: ${what}: ${reason}`, { cause: error });
}
