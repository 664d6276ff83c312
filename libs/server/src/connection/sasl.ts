import { decodeFieldTable, ReplyCode } from '@app/codec';
import { ConnectionError, replyText } from '@app/broker-core';

/** SASL mechanisms offered in `connection.start`, in RabbitMQ's order on the wire. */
export const SASL_MECHANISMS = 'AMQPLAIN PLAIN';

/** The mechanism that logs in as the user a verified client certificate names (RabbitMQ's rabbitmq_auth_mechanism_ssl). */
export const EXTERNAL_MECHANISM = 'EXTERNAL';

/** The mechanisms to offer a connection: EXTERNAL first, and only when a verified client certificate names a user. */
export function saslMechanisms(certificateName: string | undefined): string {
  return certificateName === undefined ? SASL_MECHANISMS : `${EXTERNAL_MECHANISM} ${SASL_MECHANISMS}`;
}

/** Credentials carried by a `connection.start-ok` response. */
export interface SaslCredentials {
  username: string;
  /** Undefined for EXTERNAL: the client certificate, verified during the TLS handshake, stands for the password. */
  password: string | undefined;
}

function syntaxError(mechanism: string): ConnectionError {
  return new ConnectionError(
    ReplyCode.SYNTAX_ERROR,
    replyText(ReplyCode.SYNTAX_ERROR, `malformed ${mechanism} response in connection.start-ok`),
    10,
    11,
  );
}

/**
 * Parses a SASL response for PLAIN (`authzid \0 user \0 password`, RFC 4616) or AMQPLAIN (a field table
 * without its length prefix holding LOGIN and PASSWORD), or takes EXTERNAL's user from `certificateName` (its
 * response, an optional authorization identity, is ignored as RabbitMQ does). A mechanism not offered on this
 * connection (EXTERNAL without `certificateName`) or unknown → 503, malformed → 502.
 */
export function parseSaslResponse(mechanism: string, response: Buffer, certificateName?: string): SaslCredentials {
  if (mechanism === EXTERNAL_MECHANISM && certificateName !== undefined) return { username: certificateName, password: undefined };
  if (mechanism === 'PLAIN') {
    const first = response.indexOf(0);
    const second = first < 0 ? -1 : response.indexOf(0, first + 1);
    if (first < 0 || second < 0 || response.indexOf(0, second + 1) >= 0) throw syntaxError(mechanism);
    return {
      username: response.toString('utf8', first + 1, second),
      password: response.toString('utf8', second + 1),
    };
  }
  if (mechanism === 'AMQPLAIN') {
    const framed = Buffer.allocUnsafe(4 + response.length);
    framed.writeUInt32BE(response.length, 0);
    response.copy(framed, 4);
    let table;
    try {
      table = decodeFieldTable(framed);
    } catch {
      throw syntaxError(mechanism);
    }
    const { LOGIN: login, PASSWORD: password } = table;
    const text = (value: unknown): string | undefined =>
      typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
    const username = text(login);
    const secret = text(password);
    if (username === undefined || secret === undefined) throw syntaxError(mechanism);
    return { username, password: secret };
  }
  throw new ConnectionError(
    ReplyCode.COMMAND_INVALID,
    replyText(ReplyCode.COMMAND_INVALID, `unknown authentication mechanism '${mechanism}'`),
    10,
    11,
  );
}
