import { CLASS_BASIC, CodecError, decodeProperties, propertiesSize, ReplyCode, writeProperties, type BasicProperties } from '@app/codec';
import { ChannelError, ConnectionError, DIRECT_REPLY_TO, Message, replyText, type MessageOrigin, type Queue } from '@app/broker-core';
import type { Exchange } from '@app/routing';
import type { ManagementInbox } from './management-access.js';

/** Where a publish goes: an exchange of the vhost, or (management connections only) the management inbox. */
export type PublishTarget = Exchange<Queue> | ManagementInbox;

/** A complete publish, ready to route. */
export interface AssembledPublish {
  readonly exchange: PublishTarget;
  readonly routingKey: string;
  readonly isMandatory: boolean;
  readonly message: Message;
}

/** What the assembler needs from its channel to validate a message. */
export interface PublishContext {
  readonly channelId: number;
  readonly userName: string;
  readonly maxMessageSize: number;
  /** The channel's direct reply-to address, when it has a reply consumer. */
  readonly replyAddress: string | undefined;
  /** The publishing connection, stamped on every message. */
  readonly origin: MessageOrigin;
}

interface Pending {
  exchange: PublishTarget;
  routingKey: string;
  isMandatory: boolean;
  /** -1 until the content header arrives. */
  bodySize: number;
  received: number;
  /** Raw properties followed by the body, in one allocation. */
  data?: Buffer;
  propertiesLength: number;
}

/**
 * Builds messages from `basic.publish` → content header → body frames (AMQP 0-9-1 §4.2.6), checking the frame
 * order, the declared size and the message properties RabbitMQ validates (user_id, expiration, direct reply-to).
 * Throws ConnectionError (505) for frames out of order and ChannelError (406) for refused messages.
 */
export class ContentAssembler {
  private pending?: Pending;

  constructor(private readonly context: PublishContext) {}

  /** Whether the next frame must be a content header or body. */
  get isExpectingContent(): boolean {
    return this.pending !== undefined;
  }

  /** A `basic.publish` method arrived; its content follows. */
  start(exchange: PublishTarget, routingKey: string, isMandatory: boolean): void {
    this.pending = { exchange, routingKey, isMandatory, bodySize: -1, received: 0, propertiesLength: 0 };
  }

  /** Drops a publish in progress (channel closing). */
  reset(): void {
    this.pending = undefined;
  }

  /** The content header; `properties` is a view into the read buffer. Returns the message when it has no body. */
  header(classId: number, bodySize: number, properties: Buffer): AssembledPublish | undefined {
    const pending = this.pending;
    if (!pending || pending.bodySize >= 0) throw this.unexpected('content header');
    if (classId !== CLASS_BASIC) {
      throw new ConnectionError(
        ReplyCode.UNEXPECTED_FRAME,
        replyText(ReplyCode.UNEXPECTED_FRAME, `expected content header for class ${CLASS_BASIC}, got class ${classId}`),
      );
    }
    if (bodySize > this.context.maxMessageSize) {
      this.pending = undefined;
      throw precondition(`message size ${bodySize} is larger than configured max size ${this.context.maxMessageSize}`);
    }
    pending.bodySize = bodySize;
    pending.propertiesLength = properties.length;
    // One allocation holds the properties and the body, detached from the socket's read buffer.
    pending.data = Buffer.allocUnsafe(properties.length + bodySize);
    properties.copy(pending.data, 0);
    return bodySize === 0 ? this.complete() : undefined;
  }

  /** A body frame. Returns the message once the body is complete. */
  body(payload: Buffer): AssembledPublish | undefined {
    const pending = this.pending;
    if (!pending || pending.bodySize < 0) throw this.unexpected('content body');
    if (pending.received + payload.length > pending.bodySize) {
      throw new ConnectionError(
        ReplyCode.UNEXPECTED_FRAME,
        replyText(ReplyCode.UNEXPECTED_FRAME, `content body exceeds the size ${pending.bodySize} declared in its header`),
      );
    }
    payload.copy(pending.data!, pending.propertiesLength + pending.received);
    pending.received += payload.length;
    return pending.received === pending.bodySize ? this.complete() : undefined;
  }

  private complete(): AssembledPublish {
    const pending = this.pending!;
    this.pending = undefined;
    const data = pending.data!;
    let rawProperties = data.subarray(0, pending.propertiesLength);
    let properties: BasicProperties;
    try {
      properties = decodeProperties(rawProperties);
    } catch (error) {
      if (error instanceof CodecError) throw new ConnectionError(error.replyCode, error.message, 60, 40);
      throw error;
    }
    const { userName, replyAddress } = this.context;
    if (properties.userId !== undefined && properties.userId !== userName) {
      throw precondition(`user_id property set to '${properties.userId}' but authenticated user was '${userName}'`);
    }
    if (properties.expiration !== undefined) validateExpiration(properties.expiration);
    if (properties.replyTo === DIRECT_REPLY_TO) {
      if (!replyAddress) throw precondition('fast reply consumer does not exist');
      properties = { ...properties, replyTo: replyAddress };
      rawProperties = Buffer.allocUnsafe(propertiesSize(properties));
      writeProperties(rawProperties, 0, properties);
    }
    const message = new Message(
      pending.exchange.name,
      pending.routingKey,
      rawProperties,
      properties,
      data.subarray(pending.propertiesLength),
    );
    message.origin = this.context.origin;
    return { exchange: pending.exchange, routingKey: pending.routingKey, isMandatory: pending.isMandatory, message };
  }

  private unexpected(what: string): ConnectionError {
    return new ConnectionError(
      ReplyCode.UNEXPECTED_FRAME,
      replyText(ReplyCode.UNEXPECTED_FRAME, `expected method frame, got ${what} on channel ${this.context.channelId}`),
    );
  }
}

function precondition(detail: string): ChannelError {
  return new ChannelError(ReplyCode.PRECONDITION_FAILED, replyText(ReplyCode.PRECONDITION_FAILED, detail));
}

/** RabbitMQ accepts a per-message TTL only as the decimal string of a non-negative integer. */
function validateExpiration(expiration: string): void {
  if (!/^-?\d+$/.test(expiration)) throw precondition(`invalid expiration '${expiration}': no_integer`);
  if (expiration.startsWith('-')) throw precondition(`invalid expiration '${expiration}': negative_integer`);
}
