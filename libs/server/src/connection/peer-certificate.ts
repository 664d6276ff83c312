import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/**
 * The user name a verified client certificate vouches for: its subject's common name (RabbitMQ's default
 * `ssl_cert_login_from = common_name`). Undefined on a plain socket, without a certificate, with one that did not
 * verify against the CA file, or with no single CN; then the EXTERNAL mechanism is not offered.
 */
export function certificateLoginName(socket: Socket): string | undefined {
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  // A subject with several CNs comes back as an array: which one would be the user is ambiguous, so none is.
  const commonName: unknown = socket.getPeerCertificate().subject?.CN;
  return typeof commonName === 'string' && commonName !== '' ? commonName : undefined;
}
