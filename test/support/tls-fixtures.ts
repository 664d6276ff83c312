import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and its private key, as PEM files and their contents. */
export interface KeyPair {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
}

/** A throwaway PKI for TLS tests, made at test time in a temporary directory (no private key is ever committed). */
export interface TlsFixtures {
  dir: string;
  /** The CA that signed the server and the trusted client certificates. */
  caFile: string;
  ca: Buffer;
  /** The server's certificate for 127.0.0.1 and localhost. */
  server: KeyPair;
  /** A client certificate with CN=guest, signed by the CA. */
  guestClient: KeyPair;
  /** A client certificate with CN=some user, signed by the CA. */
  someUserClient: KeyPair;
  /** A second, unrelated CA. */
  otherCaFile: string;
  /** A client certificate with CN=guest signed by the other CA: the broker must not trust it. */
  strangerClient: KeyPair;
  /** Deletes the directory. */
  remove(): void;
}

// Extensions spelt out in our own config file, so the result does not depend on the system's openssl.cnf.
const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
[client_ext]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
`;

/** P-256 keys: generated in milliseconds, unlike RSA. */
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * Creates a CA, a server certificate for 127.0.0.1/localhost, client certificates for `guest` and `some user`, and
 * an unrelated CA with a client certificate of its own, with the `openssl` CLI (node:crypto cannot issue X.509).
 * Call `remove()` when done.
 */
export function createTlsFixtures(): TlsFixtures {
  const dir = mkdtempSync(join(tmpdir(), 'warren-tls-'));
  let serial = 1;
  const openssl = (...args: string[]): void => {
    try {
      execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new Error(`tls-fixtures: openssl ${args[0]} failed (is the openssl CLI installed?): ${(error as Error).message} ${stderr}`, {
        cause: error,
      });
    }
  };
  const config = join(dir, 'openssl.cnf');
  writeFileSync(config, OPENSSL_CONFIG);
  const path = (name: string) => join(dir, name);
  const pair = (name: string): KeyPair => ({
    certFile: path(`${name}.crt`),
    keyFile: path(`${name}.key`),
    cert: readFileSync(path(`${name}.crt`)),
    key: readFileSync(path(`${name}.key`)),
  });
  const makeCa = (name: string, commonName: string): void =>
    openssl(
      'req',
      '-x509',
      '-new',
      '-config',
      config,
      ...NEW_KEY,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-subj',
      `/CN=${commonName}`,
      '-extensions',
      'ca_ext',
    );
  const issue = (name: string, commonName: string, ca: string, extensions: string): KeyPair => {
    openssl('req', '-new', '-config', config, ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${commonName}`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-set_serial',
      String(serial++),
      '-days',
      '2',
      '-extfile',
      config,
      '-extensions',
      extensions,
      '-out',
      `${name}.crt`,
    );
    return pair(name);
  };
  try {
    makeCa('ca', 'Warren Test CA');
    makeCa('other-ca', 'Unrelated Test CA');
    return {
      dir,
      caFile: path('ca.crt'),
      ca: readFileSync(path('ca.crt')),
      server: issue('server', 'localhost', 'ca', 'server_ext'),
      guestClient: issue('guest', 'guest', 'ca', 'client_ext'),
      someUserClient: issue('some-user', 'some user', 'ca', 'client_ext'),
      otherCaFile: path('other-ca.crt'),
      strangerClient: issue('stranger', 'guest', 'other-ca', 'client_ext'),
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
