import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A certificate and its private key on disk. */
export interface CertFiles {
  certFile: string;
  keyFile: string;
}

/** Subject and use of a certificate issued by {@link Pki.issue}. */
export interface CertRequest {
  /** File name prefix in the PKI directory. */
  name: string;
  commonName: string;
  /** Organisations; Kubernetes reads them as groups. */
  organizations?: string[];
  /** Subject alternative names of a server certificate, e.g. ['IP:127.0.0.1', 'DNS:localhost']. */
  altNames?: string[];
  usage: 'server' | 'client' | 'both';
}

/** A throwaway certificate authority for one test environment, made with the openssl CLI (EC P-256 keys). */
export class Pki {
  /** The CA certificate that signs every issued certificate. */
  readonly caFile: string;
  private readonly caKey: string;
  private readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
    this.caFile = join(dir, 'ca.crt');
    this.caKey = join(dir, 'ca.key');
  }

  /** Creates a new CA in `dir`. */
  static async create(dir: string, commonName = 'watchkeeper-test-ca'): Promise<Pki> {
    const pki = new Pki(dir);
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      pki.caKey,
      '-out',
      pki.caFile,
      '-days',
      '30',
      '-subj',
      `/CN=${commonName}`,
    ]);
    return pki;
  }

  /** Issues a certificate signed by this CA; safe to call concurrently (random serials, no serial file). */
  async issue(request: CertRequest): Promise<CertFiles> {
    const keyFile = join(this.dir, `${request.name}.key`);
    const certFile = join(this.dir, `${request.name}.crt`);
    const csrFile = join(this.dir, `${request.name}.csr`);
    const extFile = join(this.dir, `${request.name}.ext`);
    const subject = `/CN=${request.commonName}${(request.organizations ?? []).map((o) => `/O=${o}`).join('')}`;
    const usage = { server: 'serverAuth', client: 'clientAuth', both: 'serverAuth,clientAuth' }[request.usage];
    const ext = [`extendedKeyUsage=${usage}`, 'keyUsage=digitalSignature,keyEncipherment', 'basicConstraints=CA:FALSE'];
    if (request.altNames?.length) ext.push(`subjectAltName=${request.altNames.join(',')}`);
    await writeFile(extFile, `${ext.join('\n')}\n`);
    await run('openssl', [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      csrFile,
      '-subj',
      subject,
    ]);
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      csrFile,
      '-CA',
      this.caFile,
      '-CAkey',
      this.caKey,
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-out',
      certFile,
      '-days',
      '30',
      '-extfile',
      extFile,
    ]);
    return { certFile, keyFile };
  }

  /** Creates an EC key pair (for service-account token signing); returns the PEM file paths. */
  async keyPair(name: string): Promise<{ privateKeyFile: string; publicKeyFile: string }> {
    const privateKeyFile = join(this.dir, `${name}.key`);
    const publicKeyFile = join(this.dir, `${name}.pub`);
    await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', privateKeyFile]);
    await run('openssl', ['ec', '-in', privateKeyFile, '-pubout', '-out', publicKeyFile]);
    return { privateKeyFile, publicKeyFile };
  }
}
