import { ReplyCode, type Method } from '@app/codec';
import { ConnectionError, replyText, type ChannelError } from '@app/broker-core';
import { Channel, type ChannelHost } from './channel.js';

/**
 * The channel table of one connection: `channel.open`/`channel.close` handshakes, soft-error closes, and what
 * the connection does to every channel at once.
 */
export class ChannelTable {
  private readonly channels = new Map<number, Channel>();
  /** Channels opened on this connection so far (Prometheus `rabbitmq_channels_opened_total`). */
  openedCount = 0;

  constructor(private readonly host: ChannelHost & { readonly channelMax: number }) {}

  /** The channel with this number, open or closing. */
  get(channelId: number): Channel | undefined {
    return this.channels.get(channelId);
  }

  /** Every channel in the table. */
  values(): IterableIterator<Channel> {
    return this.channels.values();
  }

  /** A method on a non-zero channel of an open connection. */
  handleMethod(channelId: number, method: Method): void {
    if (method.classId === 10) {
      throw new ConnectionError(
        ReplyCode.COMMAND_INVALID,
        replyText(ReplyCode.COMMAND_INVALID, `connection method '${method.name}' on channel ${channelId}`),
      );
    }
    const channel = this.channels.get(channelId);
    const writer = this.host.writer;
    if (method.name === 'channel.open') {
      if (channel) throw new ConnectionError(ReplyCode.CHANNEL_ERROR, replyText(ReplyCode.CHANNEL_ERROR, "second 'channel.open' seen"));
      // RabbitMQ's limit is on the number of open channels, a connection error 530 (its rabbit_reader:create_channel).
      if (this.channels.size >= this.host.channelMax) {
        const count = this.channels.size;
        throw new ConnectionError(
          ReplyCode.NOT_ALLOWED,
          replyText(
            ReplyCode.NOT_ALLOWED,
            `number of channels opened (${count}) has reached the negotiated channel_max (${this.host.channelMax})`,
          ),
        );
      }
      if (channelId > this.host.channelMax) {
        throw new ConnectionError(
          ReplyCode.CHANNEL_ERROR,
          replyText(ReplyCode.CHANNEL_ERROR, `channel number ${channelId} exceeds channel_max ${this.host.channelMax}`),
        );
      }
      this.channels.set(channelId, new Channel(channelId, this.host));
      this.openedCount++;
      writer.writeMethod(channelId, { name: 'channel.open-ok', classId: 20, methodId: 11, channelId: Buffer.alloc(0) });
      return;
    }
    if (!channel) throw new ConnectionError(ReplyCode.CHANNEL_ERROR, replyText(ReplyCode.CHANNEL_ERROR, "expected 'channel.open'"));
    // A method of this channel is waiting for an asynchronous step: everything after it waits too, close included.
    if (channel.isWaiting) return channel.holdMethod(method);
    if (channel.state === 'closing') {
      // After the server's channel.close, everything but close/close-ok is discarded (AMQP 0-9-1 channel.close rule).
      if (method.name === 'channel.close-ok') this.channels.delete(channelId);
      // The client's close crossed ours: answer it, but keep the channel until the client's close-ok for our close,
      // which it still sends (RabbitMQ's channel stays 'closing' until then). Forgetting the channel here made that
      // close-ok a 504 on an unknown channel, which closed the whole connection.
      else if (method.name === 'channel.close') writer.writeMethod(channelId, { name: 'channel.close-ok', classId: 20, methodId: 41 });
      return;
    }
    if (channel.isExpectingContent) {
      throw new ConnectionError(
        ReplyCode.UNEXPECTED_FRAME,
        replyText(ReplyCode.UNEXPECTED_FRAME, `expected content header for class 60, got method '${method.name}' instead`),
      );
    }
    if (method.name === 'channel.close') {
      channel.release();
      this.channels.delete(channelId);
      writer.writeMethod(channelId, { name: 'channel.close-ok', classId: 20, methodId: 41 });
      return;
    }
    if (method.name === 'channel.close-ok') return;
    channel.handleMethod(method);
  }

  /** Soft error: closes the channel if it is still open, requeueing what it held. */
  closeOnError(channelId: number, error: ChannelError, classId: number, methodId: number): void {
    const channel = this.channels.get(channelId);
    if (channel && channel.state === 'open') this.closeChannel(channel, error, classId, methodId);
  }

  /** Closes channels whose oldest unacked delivery is older than the consumer timeout (406, requeue). */
  checkConsumerTimeouts(now: number, timeoutMs: number): void {
    for (const channel of this.channels.values()) {
      if (channel.state !== 'open') continue;
      const error = channel.consumerTimeoutError(now, timeoutMs);
      if (error) this.closeChannel(channel, error, 0, 0);
    }
  }

  /** Releases every channel (connection closing); they stay in the table until `clear`. */
  releaseAll(): void {
    for (const channel of this.channels.values()) channel.release();
  }

  /** Lets every channel deliver again (the socket drained). */
  resumeDeliveries(): void {
    for (const channel of this.channels.values()) channel.resumeDeliveries();
  }

  /** Forgets every channel (socket closed). */
  clear(): void {
    this.channels.clear();
  }

  private closeChannel(channel: Channel, error: ChannelError, classId: number, methodId: number): void {
    channel.release();
    this.host.writer.writeMethod(channel.id, {
      name: 'channel.close',
      classId: 20,
      methodId: 40,
      replyCode: error.replyCode,
      replyText: error.replyText,
      failingClassId: classId,
      failingMethodId: methodId,
    });
  }
}
