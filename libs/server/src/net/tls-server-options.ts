import { X509Certificate } from 'node:crypto';
import { createSecureContext, type TlsOptions } from 'node:tls';
import { ConfigError, readConfigFile } from '@app/config';
import type { BrokerConfig } from '../config/broker-config.js';

/** The settings the amqps listener is built from (README, "TLS"). */
export type TlsSettings = Pick<
  BrokerConfig,
  'tlsCertFile' | 'tlsKeyFile' | 'tlsCaFile' | 'tlsVerifyPeer' | 'tlsFailIfNoPeerCert' | 'handshakeTimeoutMs'
>;

/** Oldest protocol the amqps listener speaks: TLS 1.0 and 1.1 are deprecated (RFC 8996) and off in RabbitMQ too. */
export const TLS_MIN_VERSION = 'TLSv1.2';

/**
 * Reads the certificate, key and CA files and turns RabbitMQ's peer verification settings into `node:tls` server
 * options. Throws ConfigError naming the variable whose file is missing, unreadable or not PEM, so a misconfigured
 * broker stops at start-up instead of failing every handshake.
 *
 * `verify_peer` maps to `requestCert`; `fail_if_no_peer_cert` to `rejectUnauthorized`, which also refuses a
 * certificate that does not verify. Without it a client may present no certificate, and one that presents a bad
 * certificate is dropped after the handshake (see {@link isRefusedPeer}).
 */
export function tlsServerOptions(settings: TlsSettings): TlsOptions {
  const cert = readConfigFile('WARREN_TLS_CERT_FILE', required('WARREN_TLS_CERT_FILE', settings.tlsCertFile));
  const key = readConfigFile('WARREN_TLS_KEY_FILE', required('WARREN_TLS_KEY_FILE', settings.tlsKeyFile));
  const ca = settings.tlsCaFile === undefined ? undefined : readConfigFile('WARREN_TLS_CA_FILE', settings.tlsCaFile);
  if (settings.tlsVerifyPeer && ca === undefined) {
    throw new ConfigError('config: WARREN_TLS_CA_FILE must be set when WARREN_TLS_VERIFY_PEER is true');
  }
  // Each file on its own first, so the error names the variable at fault; then the pair (a key of another cert).
  checkPem('WARREN_TLS_CERT_FILE', 'a PEM certificate', () => createSecureContext({ cert }));
  checkPem('WARREN_TLS_KEY_FILE', 'a PEM private key', () => createSecureContext({ key }));
  checkPem('WARREN_TLS_KEY_FILE', 'the private key of WARREN_TLS_CERT_FILE', () => createSecureContext({ cert, key }));
  // createSecureContext skips a CA file that holds no certificate; parsing its first one does not.
  if (ca !== undefined) checkPem('WARREN_TLS_CA_FILE', 'PEM CA certificates', () => new X509Certificate(ca));
  return {
    cert,
    key,
    ca,
    minVersion: TLS_MIN_VERSION,
    requestCert: settings.tlsVerifyPeer,
    rejectUnauthorized: settings.tlsVerifyPeer && settings.tlsFailIfNoPeerCert,
    handshakeTimeout: settings.handshakeTimeoutMs,
  };
}

function required(variable: string, path: string | undefined): string {
  if (path === undefined) throw new ConfigError(`config: ${variable} must be set when WARREN_AMQPS_PORT is set`);
  return path;
}

function checkPem(variable: string, what: string, build: () => unknown): void {
  try {
    build();
  } catch (error) {
    throw new ConfigError(`config: ${variable} does not hold ${what} (${error instanceof Error ? error.message : String(error)})`);
  }
}
