import type { AmqpConnection } from '@app/server';

type ConnectionState = AmqpConnection['state'];
import type { TestBroker } from '@app/testing';
import { RawClient } from '../../support/raw-client.js';
import type { FuzzInput, Random } from './stream-mutator.js';

/** How one input ended. */
export type FuzzOutcome =
  /** The broker sent `connection.close` with this reply code (and closed, or waited for close-ok). */
  | { readonly kind: 'close-code'; readonly code: number }
  /** The broker closed the socket without a `connection.close` (bad protocol header, close-ok sent, timeout…). */
  | { readonly kind: 'closed' }
  /** The input left an open, idle connection (a valid handshake, no close): the client closed it. */
  | { readonly kind: 'open' }
  /** Neither closed nor open after the window: a hang. */
  | { readonly kind: 'hang'; readonly state: ConnectionState | 'unknown' };

/** How long a connection may stay quiet in state `open` before the input counts as "left open". */
const QUIET_MS = 250;

/**
 * Sends one input in 1-3 chunks (split reads are part of the fuzz) and waits for its outcome, at most `windowMs`.
 * `seen` receives the broker's side of the connection, so the caller can check it is released afterwards.
 */
export async function runInput(
  broker: TestBroker,
  input: FuzzInput,
  random: Random,
  windowMs: number,
  seen: (connection: AmqpConnection) => void,
): Promise<FuzzOutcome> {
  const client = await RawClient.connect(broker.port);
  const localName = `${client.socket.localAddress}:${client.socket.localPort} ->`;
  let lastDataAt = Date.now();
  client.socket.on('data', () => (lastDataAt = Date.now()));
  const startedAt = Date.now();
  sendInChunks(client, input.head, random);
  if (input.tail.length > 0) {
    // As a real client: answer tune only once it arrived (or stop waiting when the broker closed or stayed silent).
    while (!client.isClosed && !hasTune(client) && Date.now() - startedAt < windowMs)
      await new Promise((resolve) => setTimeout(resolve, 5));
    sendInChunks(client, input.tail, random);
  }
  let brokerSide: AmqpConnection | undefined;
  try {
    for (;;) {
      brokerSide ??= findConnection(broker, localName, seen);
      if (client.isClosed) return outcomeOfClose(client);
      if (brokerSide?.state === 'open' && Date.now() - lastDataAt >= QUIET_MS) return { kind: 'open' };
      if (Date.now() - startedAt > windowMs) return { kind: 'hang', state: brokerSide?.state ?? 'unknown' };
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    client.destroy();
  }
}

/** Sends `bytes` in 1-3 writes cut at random offsets: split reads are part of what is fuzzed. */
function sendInChunks(client: RawClient, bytes: Buffer, random: Random): void {
  const cuts = [random.below(bytes.length + 1), random.below(bytes.length + 1)].sort((a, b) => a - b);
  for (const [start, end] of [
    [0, cuts[0]!],
    [cuts[0]!, cuts[1]!],
    [cuts[1]!, bytes.length],
  ] as const) {
    if (end > start && !client.isClosed) client.send(bytes.subarray(start, end));
  }
}

function hasTune(client: RawClient): boolean {
  return client.frames.some((frame) => frame.type === 'method' && frame.method.name === 'connection.tune');
}

function findConnection(broker: TestBroker, localName: string, seen: (connection: AmqpConnection) => void): AmqpConnection | undefined {
  for (const connection of broker.broker.allConnections()) {
    if (connection.name.startsWith(localName)) {
      seen(connection);
      return connection;
    }
  }
  return undefined;
}

function outcomeOfClose(client: RawClient): FuzzOutcome {
  for (const frame of client.frames) {
    if (frame.type === 'method' && frame.method.name === 'connection.close') return { kind: 'close-code', code: frame.method.replyCode };
  }
  return { kind: 'closed' };
}
