import { decodeProperties, propertiesSize, writeProperties, type BasicProperties } from '@app/codec';
import { MESSAGE_RECORD_HEADER_BYTES, allocateMessageRecord, sealMessageRecord } from '@app/storage';
import { encodeQueueIndex } from './queue-index-record.js';

/** The publishing connection's identity, shared by every message it publishes (no allocation per message). */
export interface MessageOrigin {
  readonly remoteAddress: string | undefined;
  readonly userName: string;
}

/** Property-flag bit of `expiration` (AMQP 0-9-1 basic class: the 8th property, counting from bit 15). */
const EXPIRATION_FLAG = 1 << 8;

/**
 * One published message, shared by reference by every queue it was routed to.
 * `rawProperties` are the publisher's encoded property bytes (from the property flags on), re-sent on delivery
 * unchanged so the hot path never re-encodes properties it did not modify.
 */
export class Message {
  /**
   * Where the message was published from (set by the AMQP channel; absent for broker-made messages). Lets in-broker
   * consumers such as the management service know who is really asking.
   */
  origin?: MessageOrigin;
  private decoded?: BasicProperties;
  /** The storage record (checksummed), built once. */
  private stored?: Buffer;
  /** What a message rebuilt from storage slices its properties and body from (the record, or a delayed record). */
  private source?: Buffer;
  private raw?: Buffer;
  private content?: Buffer;
  /** Where the properties and the body start inside `source`, for messages rebuilt from storage. */
  private propertiesStart = 0;
  private bodyStart = 0;

  constructor(
    readonly exchange: string,
    readonly routingKey: string,
    rawProperties: Buffer | undefined,
    properties: BasicProperties | undefined,
    body: Buffer | undefined,
    /** deliveryMode 2; passed explicitly so recovered messages need not decode their properties. */
    readonly isPersistent: boolean = properties?.deliveryMode === 2,
  ) {
    this.raw = rawProperties;
    this.decoded = properties;
    this.content = body;
  }

  /** The publisher's encoded properties (flags onwards). Recovered messages slice them from storage on demand. */
  get rawProperties(): Buffer {
    return (this.raw ??= this.source!.subarray(this.propertiesStart, this.bodyStart));
  }

  /** The body. Recovered messages slice it from storage on first delivery, sparing two objects per message at start-up. */
  get body(): Buffer {
    return (this.content ??= this.source!.subarray(this.bodyStart));
  }

  /** The decoded properties; decoded on first use for messages recovered from storage. */
  get properties(): BasicProperties {
    return (this.decoded ??= decodeProperties(this.rawProperties));
  }

  /**
   * The per-message TTL (`expiration`), read without decoding the properties when they are still raw: the flag
   * word says whether it is there, which spares a full decode per message when recovering a million of them.
   */
  get expiration(): string | undefined {
    if (!this.decoded) {
      const flagsAt = this.raw ? 0 : this.propertiesStart;
      const bytes = this.raw ?? this.source!;
      if (this.rawPropertiesLength >= 2 && (bytes.readUInt16BE(flagsAt) & EXPIRATION_FLAG) === 0) return undefined;
    }
    return this.properties.expiration;
  }

  /** Body length in bytes. */
  get bodySize(): number {
    return this.content ? this.content.length : this.source!.length - this.bodyStart;
  }

  private get rawPropertiesLength(): number {
    return this.raw ? this.raw.length : this.bodyStart - this.propertiesStart;
  }

  /**
   * The storage form, built once per message however many durable queues it reaches (the store keeps one copy
   * of a body that several queues share): a message record (`@app/storage` message-record.ts: format byte and
   * CRC-32, computed here once, never per queue or delivery) around exchange, routing key, properties and body,
   * length-prefixed.
   */
  get storageData(): Buffer {
    if (this.stored) return this.stored;
    const data = allocateMessageRecord(this.encodedLength);
    this.encodeInto(data, MESSAGE_RECORD_HEADER_BYTES);
    return (this.stored = sealMessageRecord(data));
  }

  /**
   * The index record stored beside the storage form (queue-index-record.ts): what a queue recovers this message
   * from at start-up without reading its body. Built per call (once per stored message; the store keeps the
   * Buffer, the message does not, so a paged-out entry holds neither).
   */
  get indexData(): Buffer {
    return encodeQueueIndex({ bodySize: this.bodySize, priority: this.properties.priority ?? 0, expiration: this.expiration });
  }

  /** Bytes of the encoded message (without the record header). */
  get encodedLength(): number {
    return 1 + Buffer.byteLength(this.exchange) + 1 + Buffer.byteLength(this.routingKey) + 4 + this.rawProperties.length + this.bodySize;
  }

  /** Writes the encoded message (exchange, routing key, properties, body) at `start`; returns the end offset. */
  encodeInto(data: Buffer, start: number): number {
    const exchangeLength = Buffer.byteLength(this.exchange);
    const keyLength = Buffer.byteLength(this.routingKey);
    let at = start;
    data[at++] = exchangeLength;
    at += data.write(this.exchange, at);
    data[at++] = keyLength;
    at += data.write(this.routingKey, at);
    data.writeUInt32BE(this.rawProperties.length, at);
    at += 4;
    at += this.rawProperties.copy(data, at);
    return at + this.body.copy(data, at);
  }

  /** A new message with properties built by the broker (dead letters, delayed messages), encoded once here. */
  static withProperties(exchange: string, routingKey: string, properties: BasicProperties, body: Buffer): Message {
    const raw = Buffer.allocUnsafe(propertiesSize(properties));
    writeProperties(raw, 0, properties);
    return new Message(exchange, routingKey, raw, properties, body);
  }

  /**
   * Rebuilds a message from its storage record (checked by the store; persistent unless told otherwise); properties
   * and body are views of it, not copies, and the record is reused as the message's storage form.
   */
  static fromStorage(record: Buffer, isPersistent = true): Message {
    const message = Message.fromEncoded(record, MESSAGE_RECORD_HEADER_BYTES, isPersistent);
    message.stored = record;
    return message;
  }

  /**
   * Rebuilds a message from an encoded message found at `start` of `data` (views, not copies); persistent unless
   * told otherwise (a transient body paged out and read back).
   */
  static fromEncoded(data: Buffer, start: number, isPersistent = true): Message {
    let at = start;
    const exchangeLength = data[at++];
    const exchange = data.toString('utf8', at, (at += exchangeLength));
    const keyLength = data[at++];
    const routingKey = data.toString('utf8', at, (at += keyLength));
    const propertiesLength = data.readUInt32BE(at);
    at += 4;
    const message = new Message(exchange, routingKey, undefined, undefined, undefined, isPersistent);
    message.source = data;
    message.propertiesStart = at;
    message.bodyStart = at + propertiesLength;
    return message;
  }
}

/**
 * A message's place in one queue: the queue's compact index entry. One per (message, queue) pair: the queue-local
 * sequence number orders requeues back into their original position and names the message in storage. Everything
 * dispatch, TTL and the length limits need is here, so an entry whose body was paged out to the store
 * (queue-pager.ts) still takes part in all of them.
 */
export interface QueueEntry {
  /**
   * The message. Undefined at run time only while `isPagedOut` (the body lives in the store alone); the queue
   * never hands such an entry out (deliveries, `take`, dead letters read it back first).
   */
  message: Message;
  readonly seq: number;
  redelivered: boolean;
  /** Deliveries so far (for `x-delivery-limit` and the `x-delivery-count` header). */
  deliveryCount: number;
  /** Priority level (0 unless the queue has `x-max-priority`). */
  readonly priority: number;
  /** When the message expires in this queue (epoch ms), 0 for never. */
  readonly expiresAt: number;
  /** Body bytes (counted by `x-max-length-bytes` and the in-memory window whether paged or not). */
  readonly size: number;
  /** deliveryMode 2, kept so a paged-out entry still knows it has a stored copy. */
  readonly isPersistent: boolean;
  /** In the queue's ready list (not delivered, dropped or purged). */
  isReady: boolean;
  /** The body is not in memory: read it from the store before delivering or dead-lettering. */
  isPagedOut: boolean;
  /** Past the queue's in-memory window: paged out as soon as its enqueue resolves. */
  pageWhenStored: boolean;
}
