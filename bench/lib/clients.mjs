// Picks a client adapter and tracks every connection a run opens, so each run closes all of them.
//
// Adapter contract (client-amqplib.mjs, client-cloudamqp.mjs):
//   connect(url, onFailure) -> { channel({ isConfirm }), close() }; onFailure(err) fires on any unexpected
//   connection or channel close, never on our own close().
//   channel -> assertQueue, checkQueue, deleteQueue, assertExchange, deleteExchange, bindQueue, prefetch,
//   consume(queue, { isNoAck }, onBody) (acks each delivery itself unless isNoAck),
//   publish(...) / publishConfirmed(..., onConfirm) returning false when the caller must waitForDrain(), close().
import { connectAmqplib } from './client-amqplib.mjs';
import { connectCloudamqp } from './client-cloudamqp.mjs';

const CONNECT_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 5_000;

/** Rejects with a labelled error if promise has not settled within ms; the timer never keeps Node alive. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`bench: ${what} timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * One run's connections plus its failure flag. Scenario loops poll `session.error` so an unexpected
 * close ends the run with a message instead of waiting for the stall timeout.
 */
export class Session {
  constructor(url, clientName) {
    this.url = url;
    this.connectFn = clientName === 'cloudamqp' ? connectCloudamqp : connectAmqplib;
    this.connections = [];
    this.error = undefined;
  }

  /** Opens a connection (10 s handshake timeout) that is closed by closeAll(). */
  async connect() {
    const conn = await withTimeout(
      this.connectFn(this.url, (err) => {
        this.error ??= err;
      }),
      CONNECT_TIMEOUT_MS,
      'connect',
    );
    this.connections.push(conn);
    return conn;
  }

  /** Throws the first unexpected close, if any; called by loops between bursts. */
  throwIfFailed() {
    if (this.error) throw this.error;
  }

  /** Closes every connection, each bounded by a timeout so a wedged broker cannot hang the bench. */
  async closeAll() {
    const conns = this.connections.splice(0);
    await Promise.allSettled(conns.map((c) => withTimeout(c.close(), CLOSE_TIMEOUT_MS, 'close')));
  }
}
